/* Named types in PrettyPFA's PFA document (ppfa.h): a record, enum or fixed
 * type may be written anywhere in a PrettyPFA text (in the types: section,
 * inline in a cell's type, ...) and named anywhere else.  As Titus's
 * converter does, the JSON names every type position by the named types'
 * full definitions where the document first mentions them, in the order of
 * the JSON (input, output, begin, action, end, fcns, cells, pools, ...), and
 * by the full name after that.  Two different definitions of one name are an
 * error: keeping one would change what the other means. */
#include "ppfa.h"

#include <string.h>

typedef struct NamedDef {
    const char *full;  /* namespace.name */
    const char *ns;    /* its namespace, for the names inside it */
    JVal *def;
    int written;
} NamedDef;

typedef struct Nt {
    Arena *a;
    Diags *d;
    int max_depth;
    NamedDef *named;
    int nnamed, cap_named;
} Nt;

static int is_primitive(const char *s)
{
    static const char *const prim[] = {"null", "boolean", "int", "long", "float", "double", "bytes", "string", NULL};
    for (const char *const *p = prim; *p; p++)
        if (!strcmp(s, *p))
            return 1;
    return 0;
}

static const char *def_full_name(Nt *b, const JVal *t, const char *ns, const char **own_ns)
{
    JVal *nm = jget(t, "name"), *tns = jget(t, "namespace");
    if (!nm || nm->kind != J_STR)
        return NULL;
    if (strchr(nm->s, '.')) {
        const char *dot = strrchr(nm->s, '.');
        *own_ns = arena_strndup(b->a, nm->s, (size_t)(dot - nm->s));
        return nm->s;
    }
    if (tns && tns->kind == J_STR)
        ns = tns->s;
    *own_ns = ns;
    return ns && *ns ? arena_printf(b->a, "%s.%s", ns, nm->s) : nm->s;
}

static NamedDef *find_def(Nt *b, const char *full)
{
    for (int i = 0; i < b->nnamed; i++)
        if (!strcmp(b->named[i].full, full))
            return &b->named[i];
    return NULL;
}

static void collect(Nt *b, JVal *t, const char *ns, int depth)
{
    if (depth > b->max_depth)
        return;
    if (t->kind == J_ARR) {
        for (int i = 0; i < t->n; i++)
            collect(b, t->items[i], ns, depth + 1);
        return;
    }
    if (t->kind != J_OBJ)
        return;
    JVal *k = jget(t, "type");
    if (jstr_is(k, "array") && jget(t, "items"))
        collect(b, jget(t, "items"), ns, depth + 1);
    else if (jstr_is(k, "map") && jget(t, "values"))
        collect(b, jget(t, "values"), ns, depth + 1);
    else if (jstr_is(k, "record") || jstr_is(k, "enum") || jstr_is(k, "fixed")) {
        const char *own;
        const char *full = def_full_name(b, t, ns, &own);
        if (!full)
            return;
        NamedDef *d = find_def(b, full);
        if (d) {
            if (d->def != t && !jval_equal(d->def, t)) {
                b->d->errors++;
                diag_error(b->d, t->loc, "the type '%s' is defined twice, differently", full);
            }
            return;
        }
        NamedDef nd = {.full = full, .ns = own, .def = t};
        VEC_PUSH(b->a, b->named, b->nnamed, b->cap_named, nd);
        JVal *fields = jget(t, "fields");
        for (int i = 0; fields && fields->kind == J_ARR && i < fields->n; i++) {
            JVal *ft = jget(fields->items[i], "type");
            if (ft)
                collect(b, ft, own, depth + 1);
        }
    }
}

static JVal *copy_shallow(Nt *b, const JVal *v)
{
    JVal *c = ARENA_NEW(b->a, JVal);
    *c = *v;
    if (v->kind == J_ARR || v->kind == J_OBJ) {
        c->n = 0;
        c->items = NULL;
        c->keys = NULL;
        c->klens = NULL;
    }
    return c;
}

static JVal *canon(Nt *b, const JVal *t, const char *ns, int depth);

static JVal *canon_def(Nt *b, NamedDef *d, int depth)
{
    d->written = 1;
    JVal *o = copy_shallow(b, d->def);
    for (int i = 0; i < d->def->n; i++) {
        JVal *v = d->def->items[i];
        if (!strcmp(d->def->keys[i], "fields") && v->kind == J_ARR) {
            JVal *fs = copy_shallow(b, v);
            for (int j = 0; j < v->n; j++) {
                JVal *f = v->items[j], *fc = copy_shallow(b, f);
                for (int m = 0; f->kind == J_OBJ && m < f->n; m++)
                    jval_put(b->a, fc, f->keys[m], f->klens[m],
                          !strcmp(f->keys[m], "type") ? canon(b, f->items[m], d->ns, depth + 1) : f->items[m]);
                jval_push(b->a, fs, fc);
            }
            v = fs;
        }
        jval_put(b->a, o, d->def->keys[i], d->def->klens[i], v);
    }
    return o;
}

static JVal *canon(Nt *b, const JVal *t, const char *ns, int depth)
{
    if (depth > b->max_depth)
        return (JVal *)t;
    if (t->kind == J_STR) {
        if (is_primitive(t->s))
            return (JVal *)t;
        NamedDef *d = NULL;
        if (!strchr(t->s, '.') && ns && *ns)
            d = find_def(b, arena_printf(b->a, "%s.%s", ns, t->s));
        if (!d)
            d = find_def(b, t->s);
        if (!d)
            return (JVal *)t;
        if (!d->written)
            return canon_def(b, d, depth);
        return jval_str(b->a, d->full, strlen(d->full), t->loc);
    }
    if (t->kind == J_ARR) {
        JVal *u = copy_shallow(b, t);
        for (int i = 0; i < t->n; i++)
            jval_push(b->a, u, canon(b, t->items[i], ns, depth + 1));
        return u;
    }
    if (t->kind != J_OBJ)
        return (JVal *)t;
    JVal *k = jget(t, "type");
    if (jstr_is(k, "record") || jstr_is(k, "enum") || jstr_is(k, "fixed")) {
        const char *own;
        const char *full = def_full_name(b, t, ns, &own);
        NamedDef *d = full ? find_def(b, full) : NULL;
        if (!d)
            return (JVal *)t;
        if (d->written)
            return jval_str(b->a, d->full, strlen(d->full), t->loc);
        return canon_def(b, d, depth);
    }
    JVal *o = copy_shallow(b, t);
    for (int i = 0; i < t->n; i++) {
        int sub = !strcmp(t->keys[i], "items") || !strcmp(t->keys[i], "values");
        jval_put(b->a, o, t->keys[i], t->klens[i], sub ? canon(b, t->items[i], ns, depth + 1) : t->items[i]);
    }
    return o;
}

void ppfa_named_types(Arena *a, Diags *d, int max_depth, JVal **aliases, int nalias, PpTypeSlot *slots,
                      int nslots)
{
    Nt nt = {.a = a, .d = d, .max_depth = max_depth};
    Nt *b = &nt;
    for (int i = 0; i < nalias; i++)
        collect(b, aliases[i], NULL, 0);
    for (int i = 0; i < nslots; i++)
        collect(b, slots[i].in->items[slots[i].at], NULL, 0);
    for (int i = 0; i < nslots; i++) {
        JVal **slot = &slots[i].in->items[slots[i].at];
        *slot = canon(b, *slot, NULL, 0);
    }
}
