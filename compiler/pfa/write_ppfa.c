/* A PFA document (its syntax tree, read_pfa.h) written as PrettyPFA, so that
 * a JSON document from another tool can be read and edited; reading the text
 * back (ppfa_interp.c) gives an equivalent document.  The writer chooses the
 * forms that read back exactly:
 *   - every body is in braces, so a one-statement body that is itself a
 *     { ... } block stays a "do", and an `else if` stays a nested "if";
 *   - the statements of a section end with ';', so `action: {a; b};` keeps
 *     its "do" (a lone block without ';' is read as the section's list);
 *   - operators get the parentheses that the grammar's precedence needs;
 *   - a negative number after a '-' operator is written `- -5`, a unary minus
 *     before a digit `- 5`, so the scanner does not join them;
 *   - typed literals of primitive types use the forms that PrettyPFA reads as
 *     those types (long(5), bytes("base64"), ...).
 * What PrettyPFA cannot say is reported with its location, and nothing is
 * written: a symbol named like a keyword, or like a cell, a pool or a library
 * function where it is not declared in scope (PrettyPFA would read it as
 * that; the writer follows the scopes as the reader does), an empty body, ... */
#include "write_ppfa.h"

#include "typecheck.h"
#include "write_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct W {
    StrBuf *o;
    Diags *d;
    const PfaDoc *doc;
    int failed;
    const char **locals; /* the symbols declared in scope, as the reader will see them */
    int nlocals, cap_locals;
} W;

static void declare(W *w, const char *name)
{
    if (w->nlocals >= w->cap_locals) {
        w->cap_locals = w->cap_locals ? w->cap_locals * 2 : 32;
        w->locals = realloc(w->locals, sizeof *w->locals * (size_t)w->cap_locals);
        if (!w->locals)
            die_internal(__FILE__, __LINE__, "out of memory");
    }
    w->locals[w->nlocals++] = name;
}

static int is_local(const W *w, const char *name)
{
    for (int i = w->nlocals - 1; i >= 0; i--)
        if (!strcmp(w->locals[i], name))
            return 1;
    return 0;
}

static void fail(W *w, Loc loc, const char *fmt, const char *arg)
{
    char msg[300];
    snprintf(msg, sizeof msg, fmt, arg);
    diag_error(w->d, loc, "cannot be written in PrettyPFA: %s", msg);
    w->failed = 1;
}

static const char *const KEYWORDS[] = {"idiv", "fcn", "if", "else", "while", "do", "until", "for", "foreach",
                                       "cast", "as", "ifnotnull", "unpack", "try", "var", "to", "init",
                                       "null", "true", "false", NULL};

static int is_ident(const char *s, size_t n)
{
    if (n == 0 || !(s[0] == '_' || (s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!(s[i] == '_' || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9')))
            return 0;
    return 1;
}

static int is_keyword(const char *s)
{
    for (const char *const *k = KEYWORDS; *k; k++)
        if (!strcmp(s, *k))
            return 1;
    return 0;
}

/* a dotted name: identifiers joined by '.', not a keyword of the grammar
   alone (null, true and false are names, as in type positions) */
static int is_dotname(const char *s)
{
    if (!strcmp(s, "null") || !strcmp(s, "true") || !strcmp(s, "false"))
        return 1;
    const char *p = s;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (!is_ident(p, n))
            return 0;
        if (!dot)
            break;
        p = dot + 1;
    }
    return !is_keyword(s);
}

static void put_string(W *w, const char *s, size_t n)
{
    JVal v = {.kind = J_STR, .s = s, .slen = n};
    json_write(w->o, &v, 0);
}

/* a key of key: value (a name, or a string where a name will not do) */
static void put_key(W *w, const char *s)
{
    if (is_ident(s, strlen(s)) && !is_keyword(s))
        sb_puts(w->o, s);
    else
        put_string(w, s, strlen(s));
}

static int in_state(const PfaNamed *s, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(s[i].name, name))
            return 1;
    return 0;
}

static int is_user_fcn(const PfaDoc *doc, const char *name)
{
    if (strncmp(name, "u.", 2))
        return 0;
    for (int i = 0; i < doc->nfcns; i++)
        if (!strcmp(doc->fcns[i].name, name + 2))
            return 1;
    return 0;
}

/* would PrettyPFA read this name as something else than a symbol? */
static const char *name_clash(W *w, const char *name)
{
    if (!is_ident(name, strlen(name)))
        return "it is not a name";
    if (is_keyword(name))
        return "it is a keyword of PrettyPFA";
    if (is_local(w, name))
        return NULL;
    if (in_state(w->doc->cells, w->doc->ncells, name))
        return "a cell has the same name";
    if (in_state(w->doc->pools, w->doc->npools, name))
        return "a pool has the same name";
    if (pfa_lib_known(name))
        return "a library function has the same name";
    return NULL;
}

/* a symbol declared here: only a keyword cannot be one */
static void put_decl(W *w, Loc loc, const char *name)
{
    if (!is_ident(name, strlen(name)) || is_keyword(name))
        fail(w, loc, "the symbol name '%.100s'", name);
    sb_puts(w->o, name);
}

static void put_symbol(W *w, Loc loc, const char *name)
{
    const char *why = name_clash(w, name);
    if (why) {
        char msg[300];
        snprintf(msg, sizeof msg, "the symbol '%.100s' (%s)", name, why);
        fail(w, loc, "%s", msg);
    }
    sb_puts(w->o, name);
}

/* ---- JSON values and types ---- */
static void put_json(W *w, const JVal *v)
{
    switch (v->kind) {
    case J_ARR:
        sb_putc(w->o, '[');
        for (int i = 0; i < v->n; i++) {
            if (i)
                sb_puts(w->o, ", ");
            put_json(w, v->items[i]);
        }
        sb_putc(w->o, ']');
        return;
    case J_OBJ:
        sb_putc(w->o, '{');
        for (int i = 0; i < v->n; i++) {
            if (i)
                sb_puts(w->o, ", ");
            put_string(w, v->keys[i], v->klens[i]);
            sb_puts(w->o, ": ");
            put_json(w, v->items[i]);
        }
        sb_putc(w->o, '}');
        return;
    default:
        json_write(w->o, v, 0);
    }
}

static void put_type(W *w, const JVal *t)
{
    if (t->kind == J_STR) {
        if (!is_dotname(t->s))
            fail(w, t->loc, "the type name '%.100s'", t->s);
        sb_puts(w->o, t->s);
        return;
    }
    if (t->kind == J_ARR) {
        sb_puts(w->o, "union(");
        for (int i = 0; i < t->n; i++) {
            if (i)
                sb_puts(w->o, ", ");
            put_type(w, t->items[i]);
        }
        sb_putc(w->o, ')');
        return;
    }
    JVal *k = jget(t, "type");
    if (t->kind != J_OBJ || !k) {
        fail(w, t->loc, "%s", "a type that is neither a name, a union nor a schema object");
        return;
    }
    if (k->kind != J_STR || (!jstr_is(k, "array") && !jstr_is(k, "map") && !jstr_is(k, "record") &&
                             !jstr_is(k, "enum") && !jstr_is(k, "fixed"))) {
        put_type(w, k); /* {"type": "int"}, {"type": {...}} */
        return;
    }
    JVal *nm = jget(t, "name"), *ns = jget(t, "namespace");
    const char *name = NULL;
    if (nm && nm->kind == J_STR)
        name = ns && ns->kind == J_STR && ns->slen && !strchr(nm->s, '.')
                   ? (const char *)NULL : nm->s;
    char full[600];
    if (nm && nm->kind == J_STR && !name) {
        snprintf(full, sizeof full, "%s.%s", ns->s, nm->s);
        name = full;
    }
    if (jstr_is(k, "array") || jstr_is(k, "map")) {
        JVal *in = jget(t, jstr_is(k, "array") ? "items" : "values");
        if (!in) {
            fail(w, t->loc, "%s", "an array or map type without its items or values");
            return;
        }
        sb_printf(w->o, "%s(", k->s);
        put_type(w, in);
        sb_putc(w->o, ')');
        return;
    }
    if (!name || !is_dotname(name)) {
        fail(w, t->loc, "%s", "a record, enum or fixed type without a name PrettyPFA can write");
        return;
    }
    if (jstr_is(k, "fixed")) {
        JVal *sz = jget(t, "size");
        sb_printf(w->o, "fixed(%lld, %s)", sz && sz->kind == J_INT ? sz->i : 0LL, name);
        return;
    }
    if (jstr_is(k, "enum")) {
        JVal *syms = jget(t, "symbols");
        sb_puts(w->o, "enum([");
        for (int i = 0; syms && syms->kind == J_ARR && i < syms->n; i++) {
            JVal *s = syms->items[i];
            if (s->kind != J_STR || !is_ident(s->s, s->slen) || is_keyword(s->s))
                fail(w, s->loc, "%s", "an enum symbol that is not a name");
            sb_printf(w->o, "%s%s", i ? ", " : "", s->kind == J_STR ? s->s : "");
        }
        sb_printf(w->o, "], %s)", name);
        return;
    }
    sb_printf(w->o, "record(%s", name);
    JVal *fields = jget(t, "fields");
    for (int i = 0; fields && fields->kind == J_ARR && i < fields->n; i++) {
        JVal *f = fields->items[i], *fn = jget(f, "name"), *ft = jget(f, "type");
        if (!fn || fn->kind != J_STR || !ft) {
            fail(w, f->loc, "%s", "a record field without a name and a type");
            continue;
        }
        if (jget(f, "default"))
            fail(w, f->loc, "%s", "a record field's default value");
        sb_puts(w->o, ", ");
        put_key(w, fn->s);
        sb_puts(w->o, ": ");
        put_type(w, ft);
    }
    sb_putc(w->o, ')');
}

/* ---- expressions ---- */
enum { P_ATOM = 100, P_FORM = 0 };

/* binding strength of an operator call (higher binds tighter), 0 if none */
static int op_prec(const PfaExpr *e, int *unary)
{
    static const struct { const char *op; int prec, unary; } ops[] = {
        {"||", 1, 0}, {"^^", 2, 0}, {"&&", 3, 0}, {"!", 4, 1}, {"==", 5, 0}, {"!=", 5, 0},
        {"<", 5, 0}, {"<=", 5, 0}, {">", 5, 0}, {">=", 5, 0}, {"|", 6, 0}, {"^", 7, 0}, {"&", 8, 0},
        {"+", 9, 0}, {"-", 9, 0}, {"*", 10, 0}, {"/", 10, 0}, {"//", 10, 0}, {"%", 10, 0},
        {"%%", 10, 0}, {"u-", 11, 1}, {"~", 11, 1}, {"**", 12, 0}};
    if (e->kind != PE_CALL)
        return 0;
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (!strcmp(e->name, ops[i].op) && e->nargs == (ops[i].unary ? 1 : 2)) {
            *unary = ops[i].unary;
            return ops[i].prec;
        }
    return 0;
}

/* how tightly the written form of e holds together */
static int strength(const PfaExpr *e)
{
    int u;
    int p = op_prec(e, &u);
    if (p)
        return p;
    switch (e->kind) {
    case PE_LET:
    case PE_SET:
    case PE_IF:
    case PE_COND:
    case PE_WHILE:
    case PE_FOR:
    case PE_FOREACH:
    case PE_FORKV:
    case PE_IFNOTNULL:
    case PE_UNPACK:
    case PE_TRY:
    case PE_FCNDEF:
        return P_FORM;
    case PE_ATTR:
    case PE_CELL:
    case PE_POOL:
        return e->to ? P_FORM : P_ATOM;
    default:
        return P_ATOM;
    }
}

static void expr(W *w, const PfaExpr *e);

/* e where it must hold at least `need` tightly; else in parentheses */
static void operand(W *w, const PfaExpr *e, int need)
{
    if (strength(e) < need) {
        sb_putc(w->o, '(');
        expr(w, e);
        sb_putc(w->o, ')');
    } else
        expr(w, e);
}

static void body(W *w, const PfaBlock *b, Loc loc)
{
    if (b->n == 0) {
        fail(w, loc, "%s", "an empty body");
        return;
    }
    int scope = w->nlocals;
    sb_puts(w->o, "{");
    for (int i = 0; i < b->n; i++) {
        sb_puts(w->o, i ? "; " : "");
        operand(w, b->e[i], P_FORM);
    }
    sb_puts(w->o, "}");
    w->nlocals = scope;
}

static void else_body(W *w, const PfaExpr *e)
{
    if (e->has_else) {
        sb_puts(w->o, " else ");
        body(w, &e->els, e->loc);
    }
}

/* a body in whose scope names are declared */
static void body_with(W *w, const PfaBlock *b, Loc loc, const char *const *names, int n, const char *one,
                      const char *two)
{
    int scope = w->nlocals;
    for (int i = 0; i < n; i++)
        declare(w, names[i]);
    if (one)
        declare(w, one);
    if (two)
        declare(w, two);
    body(w, b, loc);
    w->nlocals = scope;
}

/* an argument of a call: a value, a function reference or definition */
static void arg(W *w, const PfaExpr *e)
{
    /* assignments hold ',' together: (a = 1, b = 2) */
    operand(w, e, e->kind == PE_LET || e->kind == PE_SET ? 1 : P_FORM);
}

static void args(W *w, PfaExpr **a, int n)
{
    for (int i = 0; i < n; i++) {
        if (i)
            sb_puts(w->o, ", ");
        arg(w, a[i]);
    }
}

static void number(W *w, double d)
{
    json_write_double(w->o, d);
}

static void base64(W *w, const unsigned char *s, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    sb_putc(w->o, '"');
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) | (i + 2 < n ? s[i + 2] : 0);
        sb_putc(w->o, tab[v >> 18 & 63]);
        sb_putc(w->o, tab[v >> 12 & 63]);
        sb_putc(w->o, i + 1 < n ? tab[v >> 6 & 63] : '=');
        sb_putc(w->o, i + 2 < n ? tab[v & 63] : '=');
    }
    sb_putc(w->o, '"');
}

/* a typed literal {"type": T, "value": V} */
static void typed_literal(W *w, const PfaExpr *e)
{
    const JVal *t = e->type_j, *v = e->value_j;
    if (t->kind == J_OBJ && jget(t, "type") && jget(t, "type")->kind == J_STR && t->n == 1)
        t = jget(t, "type");
    if (t->kind == J_STR) {
        const char *s = t->s;
        if (!strcmp(s, "null") && v->kind == J_NULL) {
            sb_puts(w->o, "null");
            return;
        }
        if (!strcmp(s, "int") && v->kind == J_INT && v->i >= -2147483648LL && v->i <= 2147483647LL) {
            sb_printf(w->o, "%lld", v->i);
            return;
        }
        if ((!strcmp(s, "long") && v->kind == J_INT) ||
            ((!strcmp(s, "float") || !strcmp(s, "double")) && (v->kind == J_INT || v->kind == J_REAL))) {
            sb_printf(w->o, "%s(", s);
            put_json(w, v);
            sb_putc(w->o, ')');
            return;
        }
        if (!strcmp(s, "string") && v->kind == J_STR) {
            put_string(w, v->s, v->slen);
            return;
        }
        if (!strcmp(s, "bytes") && v->kind == J_STR) { /* the value's characters are the bytes */
            StrBuf raw;
            sb_init(&raw);
            sb_putn(&raw, "", 0);
            for (size_t i = 0; i < v->slen; i++) {
                unsigned char c = (unsigned char)v->s[i];
                if (c < 0x80)
                    sb_putc(&raw, (char)c);
                else if ((c == 0xC2 || c == 0xC3) && i + 1 < v->slen) {
                    sb_putc(&raw, (char)((c & 3) << 6 | ((unsigned char)v->s[++i] & 0x3F)));
                } else {
                    fail(w, e->loc, "%s", "a bytes literal with a character above U+00FF");
                    break;
                }
            }
            sb_puts(w->o, "bytes(");
            base64(w, (const unsigned char *)raw.data, raw.len);
            sb_putc(w->o, ')');
            sb_free(&raw);
            return;
        }
    }
    sb_puts(w->o, "json(");
    put_type(w, e->type_j);
    sb_puts(w->o, ", ");
    put_json(w, v);
    sb_putc(w->o, ')');
}

/* a path after a name: .a.b for names, [e, ...] from the first other step
   (all in brackets with `brackets`) */
static void path(W *w, const char *base, PfaExpr **p, int n, int brackets)
{
    StrBuf dotted;
    sb_init(&dotted);
    sb_puts(&dotted, base);
    int k = 0;
    for (; k < n && !brackets; k++) {
        const PfaExpr *s = p[k];
        if (s->kind != PE_LIT_STRING || !is_ident(s->s, s->slen) || memchr(s->s, 0, s->slen))
            break;
        size_t mark = dotted.len;
        sb_putc(&dotted, '.');
        sb_puts(&dotted, s->s);
        if (pfa_lib_known(dotted.data)) { /* a.len would read as the function a.len */
            dotted.len = mark;
            dotted.data[mark] = 0;
            break;
        }
    }
    sb_puts(w->o, dotted.data);
    sb_free(&dotted);
    if (k < n) {
        sb_putc(w->o, '[');
        args(w, p + k, n - k);
        sb_putc(w->o, ']');
    }
}

/* the updater of a cell-to, pool-to or attr-to */
static int is_updater(const PfaExpr *e) { return e->kind == PE_FCNDEF || e->kind == PE_FCNREF; }

static void update(W *w, const PfaExpr *e)
{
    if (is_updater(e->to)) {
        sb_puts(w->o, " to ");
        arg(w, e->to);
        if (e->init) {
            sb_puts(w->o, " init ");
            operand(w, e->init, P_FORM);
        }
    } else {
        sb_puts(w->o, " = ");
        operand(w, e->to, P_FORM);
        if (e->init) { /* a pool's new item, where a deep path is replaced */
            sb_puts(w->o, " init ");
            operand(w, e->init, P_FORM);
        }
    }
}

/* name = value, ...: declarations (var, for, ifnotnull) or assignments */
static void pairs(W *w, const PfaExpr *e, const char *sep, int decl)
{
    for (int i = 0; i < e->nnames; i++) {
        sb_puts(w->o, i ? ", " : "");
        if (decl)
            put_decl(w, e->loc, e->names[i]);
        else
            put_symbol(w, e->loc, e->names[i]);
        sb_puts(w->o, sep);
        operand(w, e->vals[i], 1);
    }
}

static void call(W *w, const PfaExpr *e)
{
    int unary;
    int p = op_prec(e, &unary);
    if (p && unary) {
        const char *op = !strcmp(e->name, "u-") ? "-" : e->name;
        sb_puts(w->o, op);
        size_t at = w->o->len;
        operand(w, e->args[0], p);
        char c = w->o->data[at];
        if (op[0] == '-' && ((c >= '0' && c <= '9') || c == '-')) { /* not a negative number */
            memmove(w->o->data + at + 1, w->o->data + at, w->o->len - at);
            w->o->data[at] = ' ';
            w->o->len++;
            sb_putn(w->o, "", 0);
        }
        return;
    }
    if (p) {
        operand(w, e->args[0], p == 5 ? p + 1 : p);
        sb_printf(w->o, " %s ", !strcmp(e->name, "//") ? "idiv" : e->name);
        operand(w, e->args[1], p + 1);
        return;
    }
    if (!is_dotname(e->name)) { /* "&&&"(a, b) */
        put_string(w, e->name, strlen(e->name));
        sb_putc(w->o, '(');
        args(w, e->args, e->nargs);
        sb_putc(w->o, ')');
        return;
    }
    if (!strcmp(e->name, "json") || !strcmp(e->name, "new") ||
        !strcmp(e->name, "apply") || !strcmp(e->name, "update") || !strcmp(e->name, "upcast") ||
        !strcmp(e->name, "pack") || !strcmp(e->name, "doc") || !strcmp(e->name, "error") ||
        !strcmp(e->name, "log") || !strcmp(e->name, "del") || !strcmp(e->name, "int") ||
        !strcmp(e->name, "long") || !strcmp(e->name, "float") || !strcmp(e->name, "double") ||
        !strcmp(e->name, "string") || !strcmp(e->name, "bytes"))
        fail(w, e->loc, "a call of '%.100s'", e->name);
    sb_printf(w->o, "%s(", e->name);
    args(w, e->args, e->nargs);
    sb_putc(w->o, ')');
}

static void expr(W *w, const PfaExpr *e)
{
    StrBuf *o = w->o;
    switch (e->kind) {
    case PE_LIT_NULL: sb_puts(o, "null"); return;
    case PE_LIT_BOOL: sb_puts(o, e->b ? "true" : "false"); return;
    case PE_LIT_INT: sb_printf(o, "%lld", e->i); return;
    case PE_LIT_LONG: sb_printf(o, "long(%lld)", e->i); return;
    case PE_LIT_FLOAT:
        sb_puts(o, "float(");
        number(w, e->d);
        sb_putc(o, ')');
        return;
    case PE_LIT_DOUBLE: number(w, e->d); return;
    case PE_LIT_STRING: put_string(w, e->s, e->slen); return;
    case PE_LIT_BASE64:
        sb_puts(o, "bytes(");
        base64(w, (const unsigned char *)e->s, e->slen);
        sb_putc(o, ')');
        return;
    case PE_LIT_TYPED: typed_literal(w, e); return;
    case PE_REF: put_symbol(w, e->loc, e->name); return;
    case PE_CALL: call(w, e); return;
    case PE_CALL_ENUM:
        sb_puts(o, "apply(");
        arg(w, e->x);
        for (int i = 0; i < e->nargs; i++) {
            sb_puts(o, ", ");
            arg(w, e->args[i]);
        }
        sb_putc(o, ')');
        return;
    case PE_FCNDEF:
        sb_puts(o, "fcn(");
        for (int i = 0; i < e->nnames; i++) {
            sb_puts(o, i ? ", " : "");
            put_decl(w, e->loc, e->names[i]);
            sb_puts(o, ": ");
            put_type(w, e->ptypes[i]);
        }
        sb_puts(o, e->nnames ? " -> " : "-> ");
        put_type(w, e->ret_j);
        sb_puts(o, ") ");
        body_with(w, &e->body, e->loc, e->names, e->nnames, NULL, NULL);
        return;
    case PE_FCNREF:
        if (!is_user_fcn(w->doc, e->name) && !pfa_lib_known(e->name))
            fail(w, e->loc, "a reference to '%.100s', which is no library or user function", e->name);
        sb_puts(o, e->name);
        if (e->nnames) {
            sb_putc(o, '(');
            for (int i = 0; i < e->nnames; i++) {
                sb_puts(o, i ? ", " : "");
                put_key(w, e->names[i]);
                sb_puts(o, ": ");
                arg(w, e->vals[i]);
            }
            sb_putc(o, ')');
        }
        return;
    case PE_NEW:
        sb_puts(o, "new(");
        put_type(w, e->type_j);
        for (int i = 0; i < e->nargs; i++) {
            sb_puts(o, ", ");
            arg(w, e->args[i]);
        }
        for (int i = 0; i < e->nnames; i++) {
            sb_puts(o, ", ");
            put_key(w, e->names[i]);
            sb_puts(o, ": ");
            arg(w, e->vals[i]);
        }
        sb_putc(o, ')');
        return;
    case PE_DO:
        body(w, &e->body, e->loc);
        return;
    case PE_LET:
        sb_puts(o, "var ");
        pairs(w, e, " = ", 1);
        for (int i = 0; i < e->nnames; i++) /* for what follows in the body */
            declare(w, e->names[i]);
        return;
    case PE_SET:
        pairs(w, e, " = ", 0);
        return;
    case PE_ATTR:
        if (e->x->kind == PE_REF) {
            const char *why = name_clash(w, e->x->name);
            if (why)
                fail(w, e->x->loc, "the symbol of an attr (%s)", why);
            if (e->nargs == 0)
                fail(w, e->loc, "%s", "an attr with an empty path");
            path(w, e->x->name, e->args, e->nargs, 0);
        } else {
            if (e->to && is_updater(e->to))
                fail(w, e->loc, "%s", "an attr-to with an updater on something else than a symbol");
            sb_putc(o, '(');
            expr(w, e->x);
            sb_puts(o, ")[");
            args(w, e->args, e->nargs);
            sb_putc(o, ']');
        }
        if (e->to)
            update(w, e);
        return;
    case PE_CELL:
    case PE_POOL:
        if (!in_state(e->kind == PE_CELL ? w->doc->cells : w->doc->pools,
                      e->kind == PE_CELL ? w->doc->ncells : w->doc->npools, e->name))
            fail(w, e->loc, "a reference to '%.100s', which the document does not declare", e->name);
        if (e->kind == PE_POOL && !e->nargs)
            fail(w, e->loc, "%s", "a pool without a path");
        if (is_local(w, e->name))
            fail(w, e->loc, "the %s, where a symbol of the same name is in scope",
                 e->kind == PE_CELL ? "cell" : "pool");
        /* pool[k] = v init i: the grammar has init after brackets only */
        path(w, e->name, e->args, e->nargs, e->to && e->init && !is_updater(e->to));
        if (e->to)
            update(w, e);
        return;
    case PE_POOL_DEL:
        sb_printf(o, "del(%s, ", e->name);
        arg(w, e->x);
        sb_putc(o, ')');
        return;
    case PE_IF:
        sb_puts(o, "if (");
        expr(w, e->x);
        sb_puts(o, ") ");
        body(w, &e->body, e->loc);
        else_body(w, e);
        return;
    case PE_COND:
        for (int i = 0; i < e->nargs; i++) {
            sb_puts(o, i ? " else if (" : "if (");
            expr(w, e->args[i]->x);
            sb_puts(o, ") ");
            body(w, &e->args[i]->body, e->args[i]->loc);
        }
        else_body(w, e);
        return;
    case PE_WHILE:
        sb_puts(o, "while (");
        expr(w, e->x);
        sb_puts(o, ") ");
        body(w, &e->body, e->loc);
        return;
    case PE_DO_UNTIL:
        sb_puts(o, "do ");
        body(w, &e->body, e->loc);
        sb_puts(o, " until (");
        expr(w, e->x);
        sb_putc(o, ')');
        return;
    case PE_FOR: {
        if (!e->nnames || !e->nnames2)
            fail(w, e->loc, "%s", "a for loop without an initial value or a step");
        int scope = w->nlocals;
        sb_puts(o, "for (");
        pairs(w, e, " = ", 1);
        for (int i = 0; i < e->nnames; i++)
            declare(w, e->names[i]);
        sb_puts(o, "; ");
        expr(w, e->x);
        sb_puts(o, "; ");
        PfaExpr step = {.names = e->names2, .vals = e->vals2, .nnames = e->nnames2, .loc = e->loc};
        pairs(w, &step, " = ", 0);
        sb_puts(o, ") ");
        body(w, &e->body, e->loc);
        w->nlocals = scope;
        return;
    }
    case PE_FOREACH:
        sb_puts(o, "foreach (");
        put_decl(w, e->loc, e->name);
        sb_puts(o, ": ");
        arg(w, e->x);
        sb_puts(o, e->b ? ", seq: true) " : ") ");
        body_with(w, &e->body, e->loc, NULL, 0, e->name, NULL);
        return;
    case PE_FORKV:
        sb_puts(o, "foreach (");
        put_decl(w, e->loc, e->name);
        sb_puts(o, ", ");
        put_decl(w, e->loc, e->name2);
        sb_puts(o, ": ");
        arg(w, e->x);
        sb_puts(o, ") ");
        body_with(w, &e->body, e->loc, NULL, 0, e->name, e->name2);
        return;
    case PE_CAST:
        sb_puts(o, "cast (");
        arg(w, e->x);
        sb_puts(o, e->b ? ", partial: true) {" : ") {");
        for (int i = 0; i < e->nargs; i++) {
            const PfaExpr *c = e->args[i];
            sb_puts(o, " as (");
            put_decl(w, c->loc, c->name);
            sb_puts(o, ": ");
            put_type(w, c->type_j);
            sb_puts(o, ") ");
            body_with(w, &c->body, c->loc, NULL, 0, c->name, NULL);
        }
        sb_puts(o, " }");
        if (!e->nargs)
            fail(w, e->loc, "%s", "a cast without cases");
        return;
    case PE_UPCAST:
        sb_puts(o, "upcast(");
        put_type(w, e->type_j);
        sb_puts(o, ", ");
        arg(w, e->x);
        sb_putc(o, ')');
        return;
    case PE_IFNOTNULL:
        sb_puts(o, "ifnotnull (");
        pairs(w, e, ": ", 1);
        sb_puts(o, ") ");
        body_with(w, &e->body, e->loc, e->names, e->nnames, NULL, NULL);
        else_body(w, e);
        return;
    case PE_PACK:
        sb_puts(o, "pack(");
        for (int i = 0; i < e->nnames; i++) {
            sb_puts(o, i ? ", " : "");
            put_string(w, e->names[i], strlen(e->names[i]));
            sb_puts(o, ": ");
            arg(w, e->vals[i]);
        }
        sb_putc(o, ')');
        if (!e->nnames)
            fail(w, e->loc, "%s", "an empty pack");
        return;
    case PE_UNPACK:
        sb_puts(o, "unpack(");
        arg(w, e->x);
        sb_putc(o, ','); /* unpack(x,) when there is no format */
        for (int i = 0; i < e->nnames; i++) {
            sb_puts(o, i ? ", " : " ");
            put_decl(w, e->loc, e->names[i]);
            sb_puts(o, ": ");
            put_string(w, e->formats[i], strlen(e->formats[i]));
        }
        sb_puts(o, ") ");
        body_with(w, &e->body, e->loc, e->names, e->nnames, NULL, NULL);
        else_body(w, e);
        return;
    case PE_DOC:
        sb_puts(o, "doc(");
        put_string(w, e->s ? e->s : "", e->s ? strlen(e->s) : 0);
        sb_putc(o, ')');
        return;
    case PE_ERROR:
        sb_puts(o, "error(");
        put_string(w, e->s, e->slen);
        if (e->has_code)
            sb_printf(o, ", code: %lld", e->i);
        sb_putc(o, ')');
        return;
    case PE_TRY:
        if (e->nfilter_s || e->nfilter_i) {
            sb_puts(o, "try (");
            for (int i = 0; i < e->nfilter_s; i++) {
                sb_puts(o, i ? ", " : "");
                put_string(w, e->filter_s[i], strlen(e->filter_s[i]));
            }
            for (int i = 0; i < e->nfilter_i; i++)
                sb_printf(o, "%s%lld", i || e->nfilter_s ? ", " : "", e->filter_i[i]);
            sb_puts(o, ") ");
        } else
            sb_puts(o, "try ");
        body(w, &e->body, e->loc);
        return;
    case PE_LOG:
        sb_puts(o, "log(");
        args(w, e->args, e->nargs);
        if (e->s) {
            sb_puts(o, e->nargs ? ", namespace: " : "namespace: ");
            put_string(w, e->s, strlen(e->s));
        }
        sb_putc(o, ')');
        return;
    case PE_CASE:
    case PE__COUNT:
        break;
    }
    fail(w, e->loc, "%s", "an expression PrettyPFA has no form for");
}

/* ---- the document ---- */
static void routine(W *w, const char *name, const PfaBlock *b)
{
    w->nlocals = 0;
    sb_printf(w->o, "%s:\n", name);
    for (int i = 0; i < b->n; i++) {
        sb_puts(w->o, "  ");
        operand(w, b->e[i], P_FORM);
        sb_puts(w->o, ";\n");
    }
}

static void state(W *w, const char *section, const PfaNamed *s, int n, int pool)
{
    if (!n)
        return;
    sb_printf(w->o, "%s:\n", section);
    for (int i = 0; i < n; i++) {
        if (!is_ident(s[i].name, strlen(s[i].name)) || is_keyword(s[i].name))
            fail(w, s[i].loc, "the %s name", pool ? "pool" : "cell");
        sb_printf(w->o, "  %s(", s[i].name);
        put_type(w, s[i].type_j);
        if (s[i].shared)
            sb_puts(w->o, ", shared: true");
        if (s[i].rollback)
            sb_puts(w->o, ", rollback: true");
        sb_puts(w->o, ") = ");
        if (s[i].init)
            put_json(w, s[i].init);
        else
            sb_puts(w->o, "{}");
        sb_puts(w->o, ";\n");
    }
}

int write_ppfa(StrBuf *o, const PfaDoc *doc, Diags *d)
{
    W w = {.o = o, .d = d, .doc = doc};
    static const char *const methods[] = {"map", "emit", "fold"};
    if (doc->name) {
        sb_puts(o, "name: ");
        if (is_dotname(doc->name))
            sb_puts(o, doc->name);
        else
            put_string(&w, doc->name, strlen(doc->name));
        sb_putc(o, '\n');
    }
    sb_puts(o, "input: ");
    put_type(&w, doc->input_j);
    sb_puts(o, "\noutput: ");
    put_type(&w, doc->output_j);
    sb_printf(o, "\nmethod: %s\n", methods[doc->method]);
    if (doc->begin.n)
        routine(&w, "begin", &doc->begin);
    routine(&w, "action", &doc->action);
    if (doc->end.n)
        routine(&w, "end", &doc->end);
    if (doc->nfcns) {
        sb_puts(o, "fcns:\n");
        for (int i = 0; i < doc->nfcns; i++) {
            sb_printf(o, "  %s = ", doc->fcns[i].name);
            if (is_keyword(doc->fcns[i].name))
                fail(&w, doc->fcns[i].def->loc, "%s", "a function named like a keyword");
            expr(&w, doc->fcns[i].def);
            sb_puts(o, ";\n");
        }
    }
    state(&w, "cells", doc->cells, doc->ncells, 0);
    state(&w, "pools", doc->pools, doc->npools, 1);
    if (doc->zero) {
        sb_puts(o, "zero: ");
        put_json(&w, doc->zero);
        sb_putc(o, '\n');
    }
    if (doc->has_merge)
        routine(&w, "merge", &doc->merge);
    if (doc->has_randseed)
        sb_printf(o, "randseed: %lld\n", doc->randseed);
    JVal *m = jget(doc->root, "doc");
    if (m && m->kind == J_STR) {
        sb_puts(o, "doc: ");
        put_string(&w, m->s, m->slen);
        sb_putc(o, '\n');
    }
    if (doc->has_version)
        sb_printf(o, "version: %lld\n", doc->version);
    if ((m = jget(doc->root, "metadata"))) {
        sb_puts(o, "metadata: ");
        put_json(&w, m);
        sb_putc(o, '\n');
    }
    if (doc->options) {
        sb_puts(o, "options: ");
        put_json(&w, doc->options);
        sb_putc(o, '\n');
    }
    free(w.locals);
    return w.failed ? -1 : 0;
}
