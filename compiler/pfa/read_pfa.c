/* Reading a PFA document: jansson parses the JSON safely (duplicate member
 * names rejected, NUL bytes in strings kept with their lengths, bounded
 * depth); its tree is copied into the compilation arena as JVal nodes, each
 * with its JSON path and the line where the value starts, and freed.  jansson
 * reports no positions for values, so a small scanner walks the (already
 * validated) text in the same pre-order and records the line of each value.
 *
 * The second half reads PFA's syntax: the top-level fields and every
 * expression, recognised by the member names of its JSON object.  Anything
 * that is not a PFA expression is a syntax error naming its JSON path. */
#include "bounds.h"
#include "read_pfa.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* ---- JSON ---- */
typedef struct JRead {
    Arena *a;
    Diags *d;
    const char *file;
    int *lines;          /* line of each value, in pre-order */
    long nlines, next;
    int max_depth;
    int failed;
} JRead;

/* pre-order value scan of valid JSON text: record each value's line */
typedef struct Scan {
    const char *p, *end;
    int line;
    int *out;
    int n, cap;
} Scan;

static void scan_ws(Scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) {
        if (*s->p == '\n')
            s->line++;
        s->p++;
    }
}

static void scan_string(Scan *s)
{
    s->p++; /* opening quote */
    while (s->p < s->end && *s->p != '"') {
        if (*s->p == '\\')
            s->p++;
        s->p++;
    }
    s->p++;
}

/* iterative, so that no nesting depth can exhaust the stack */
static void scan_value(Scan *s, Arena *a)
{
    for (;;) {
        scan_ws(s);
        if (s->p >= s->end)
            return;
        char c = *s->p;
        if (c == ']' || c == '}' || c == ',' || c == ':') {
            s->p++;
            continue;
        }
        if (c == '"') {
            /* a member name is followed by ':'; it is not a value */
            int line = s->line;
            scan_string(s);
            const char *q = s->p;
            while (q < s->end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
                q++;
            if (q < s->end && *q == ':')
                continue;
            if (s->n >= s->cap)
                s->out = arena_grow(a, s->out, sizeof(int), s->n, &s->cap);
            s->out[s->n++] = line;
            continue;
        }
        if (s->n >= s->cap)
            s->out = arena_grow(a, s->out, sizeof(int), s->n, &s->cap);
        s->out[s->n++] = s->line;
        if (c == '{' || c == '[') {
            s->p++;
            continue;
        }
        /* number, true, false, null */
        do
            s->p++;
        while (s->p < s->end && *s->p != ' ' && *s->p != '\t' && *s->p != '\r' && *s->p != '\n' &&
               *s->p != ',' && *s->p != ']' && *s->p != '}');
    }
}

JVal *jval_new(Arena *a, JKind k, Loc loc)
{
    JVal *v = ARENA_NEW(a, JVal);
    v->kind = k;
    v->loc = loc;
    return v;
}

JVal *jval_str(Arena *a, const char *s, size_t n, Loc loc)
{
    JVal *v = jval_new(a, J_STR, loc);
    v->s = arena_strndup(a, s, n);
    v->slen = n;
    return v;
}

/* arrays grow by doubling from 4; the capacity follows from n */
static void jval_grow(Arena *a, JVal *v)
{
    if (v->n == 0 || (v->n >= 4 && (v->n & (v->n - 1)) == 0)) {
        int cap = v->n ? v->n * 2 : 4;
        JVal **items = ARENA_ARRAY(a, JVal *, cap);
        if (v->n)
            memcpy(items, v->items, sizeof(JVal *) * (size_t)v->n);
        v->items = items;
        if (v->kind == J_OBJ) {
            const char **keys = ARENA_ARRAY(a, const char *, cap);
            size_t *klens = ARENA_ARRAY(a, size_t, cap);
            if (v->n) {
                memcpy(keys, v->keys, sizeof(char *) * (size_t)v->n);
                memcpy(klens, v->klens, sizeof(size_t) * (size_t)v->n);
            }
            v->keys = keys;
            v->klens = klens;
        }
    }
}

void jval_push(Arena *a, JVal *arr, JVal *item)
{
    jval_grow(a, arr);
    arr->items[arr->n++] = item;
}

int jval_put(Arena *a, JVal *obj, const char *key, size_t klen, JVal *val)
{
    jval_grow(a, obj);
    obj->keys[obj->n] = arena_strndup(a, key, klen);
    obj->klens[obj->n] = klen;
    obj->items[obj->n] = val;
    return obj->n++;
}

int jval_equal(const JVal *x, const JVal *y)
{
    if (x->kind != y->kind)
        return 0;
    switch (x->kind) {
    case J_NULL: return 1;
    case J_BOOL: return x->b == y->b;
    case J_INT: return x->i == y->i;
    case J_REAL: return x->d == y->d;
    case J_STR: return x->slen == y->slen && memcmp(x->s, y->s, x->slen) == 0;
    case J_ARR:
    case J_OBJ:
        if (x->n != y->n)
            return 0;
        for (int i = 0; i < x->n; i++) {
            const JVal *yi = x->kind == J_OBJ ? jget(y, x->keys[i]) : y->items[i];
            if (!yi || !jval_equal(x->items[i], yi))
                return 0;
        }
        return 1;
    }
    return 0;
}

JVal *jget(const JVal *o, const char *key)
{
    if (!o || o->kind != J_OBJ)
        return NULL;
    size_t kl = strlen(key);
    for (int i = 0; i < o->n; i++)
        if (o->klens[i] == kl && memcmp(o->keys[i], key, kl) == 0)
            return o->items[i];
    return NULL;
}

int jstr_is(const JVal *v, const char *s)
{
    return v && v->kind == J_STR && v->slen == strlen(s) && memcmp(v->s, s, v->slen) == 0;
}

/* a JSON-pointer segment, with ~ and / escaped and control bytes shown as ? */
static const char *path_join(Arena *a, const char *base, const char *key, size_t kl)
{
    StrBuf b;
    sb_init(&b);
    sb_puts(&b, base);
    sb_putc(&b, '/');
    for (size_t i = 0; i < kl && i < 200; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c == '~')
            sb_puts(&b, "~0");
        else if (c == '/')
            sb_puts(&b, "~1");
        else if (c < 0x20 || c == 0x7f)
            sb_putc(&b, '?');
        else
            sb_putc(&b, (char)c);
    }
    if (kl > 200)
        sb_puts(&b, "...");
    const char *r = arena_strdup(a, b.data);
    sb_free(&b);
    return r;
}

static JVal *convert(JRead *r, json_t *j, const char *path, int depth)
{
    JVal *v = ARENA_NEW(r->a, JVal);
    v->loc.file = r->file;
    v->loc.path = path;
    v->loc.line = r->next < r->nlines ? r->lines[r->next] : 0;
    r->next++;
    if (depth > r->max_depth) {
        if (!r->failed)
            diag_error(r->d, v->loc, "JSON nesting deeper than %d levels%s", r->max_depth, limits_hint("depth"));
        r->failed = 1;
        return v;
    }
    switch (json_typeof(j)) {
    case JSON_NULL:
        v->kind = J_NULL;
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        v->kind = J_BOOL;
        v->b = json_is_true(j);
        break;
    case JSON_INTEGER:
        v->kind = J_INT;
        v->i = json_integer_value(j);
        v->d = (double)v->i;
        break;
    case JSON_REAL:
        v->kind = J_REAL;
        v->d = json_real_value(j);
        break;
    case JSON_STRING:
        v->kind = J_STR;
        v->slen = json_string_length(j);
        v->s = arena_strndup(r->a, json_string_value(j), v->slen);
        break;
    case JSON_ARRAY: {
        v->kind = J_ARR;
        v->n = (int)json_array_size(j);
        v->items = ARENA_ARRAY(r->a, JVal *, v->n ? v->n : 1);
        for (int i = 0; i < v->n; i++) {
            char seg[24];
            snprintf(seg, sizeof seg, "%d", i);
            v->items[i] = convert(r, json_array_get(j, (size_t)i), path_join(r->a, path, seg, strlen(seg)),
                                  depth + 1);
        }
        break;
    }
    case JSON_OBJECT: {
        v->kind = J_OBJ;
        int n = (int)json_object_size(j);
        v->items = ARENA_ARRAY(r->a, JVal *, n ? n : 1);
        v->keys = ARENA_ARRAY(r->a, const char *, n ? n : 1);
        v->klens = ARENA_ARRAY(r->a, size_t, n ? n : 1);
        for (void *it = json_object_iter(j); it; it = json_object_iter_next(j, it)) {
            const char *k = json_object_iter_key(it);
            size_t kl = json_object_iter_key_len(it);
            JVal *c = convert(r, json_object_iter_value(it), path_join(r->a, path, k, kl), depth + 1);
            if (kl == 1 && k[0] == '@')
                continue; /* locator marks carry no meaning */
            v->keys[v->n] = arena_strndup(r->a, k, kl);
            v->klens[v->n] = kl;
            v->items[v->n++] = c;
        }
        break;
    }
    }
    return v;
}

JVal *read_json(Arena *a, Diags *d, const char *file, const char *data, size_t len,
                const PfaLimits *lim)
{
    PfaLimits def = {.max_bytes = (size_t)nv_limits.file_bytes, .max_depth = (int)nv_limits.depth * 2};
    if (!lim)
        lim = &def;
    Loc top = {.file = file};
    if (len > lim->max_bytes) {
        diag_error(d, top, "the document is larger than %zu bytes%s", lim->max_bytes, limits_hint("file-bytes"));
        return NULL;
    }
    json_error_t err;
    json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
    if (!j) {
        Loc l = {.file = file, .line = err.line > 0 ? err.line : 0,
                 .col = err.column > 0 ? err.column : 0};
        diag_error(d, l, "not valid JSON: %s", err.text);
        return NULL;
    }
    Scan s = {.p = data, .end = data + len, .line = 1};
    scan_value(&s, a);
    JRead r = {.a = a, .d = d, .file = file, .lines = s.out, .nlines = s.n,
               .max_depth = lim->max_depth};
    JVal *v = convert(&r, j, "", 0);
    json_decref(j);
    if (r.failed)
        return NULL;
    v->loc.path = "/";
    return v;
}

/* ---- PFA syntax ---- */
typedef struct PRead {
    Arena *a;
    Diags *d;
    const char *file;
} PRead;

static const char *kind_names[PE__COUNT] = {
#define X(k, s) [PE_##k] = s,
    PFA_EXPR_KINDS(X)
#undef X
};

const char *pfa_expr_kind_name(PfaExprKind k) { return kind_names[k]; }

static void syn_err(PRead *r, const JVal *v, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void syn_err(PRead *r, const JVal *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    r->d->errors++;
    diag_verror(r->d, v->loc, "error", fmt, ap);
    va_end(ap);
}

static int valid_symbol(const char *s, size_t n)
{
    if (n == 0 || !(s[0] == '_' || (s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')))
        return 0;
    for (size_t i = 1; i < n; i++) {
        char c = s[i];
        if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

static PfaExpr *new_expr(PRead *r, PfaExprKind k, const JVal *v)
{
    PfaExpr *e = ARENA_NEW(r->a, PfaExpr);
    e->kind = k;
    e->loc = v->loc;
    return e;
}

static PfaExpr *expr(PRead *r, const JVal *v);

static PfaBlock block(PRead *r, const JVal *v)
{
    PfaBlock b = {0};
    if (v->kind == J_ARR) {
        b.n = v->n;
        b.e = ARENA_ARRAY(r->a, PfaExpr *, v->n ? v->n : 1);
        for (int i = 0; i < v->n; i++)
            b.e[i] = expr(r, v->items[i]);
    } else {
        b.n = 1;
        b.e = ARENA_ARRAY(r->a, PfaExpr *, 1);
        b.e[0] = expr(r, v);
    }
    return b;
}

static PfaExpr *fcn_arg(PRead *r, const JVal *v);

/* an object whose members are names -> expressions (let, set, new, fill, ...) */
static int name_map(PRead *r, const JVal *v, const char ***names, PfaExpr ***vals, int fcn_ok,
                    int need_symbols)
{
    if (v->kind != J_OBJ) {
        syn_err(r, v, "expected a JSON object of names to expressions");
        return 0;
    }
    *names = ARENA_ARRAY(r->a, const char *, v->n ? v->n : 1);
    *vals = ARENA_ARRAY(r->a, PfaExpr *, v->n ? v->n : 1);
    for (int i = 0; i < v->n; i++) {
        if (need_symbols && !valid_symbol(v->keys[i], v->klens[i]))
            syn_err(r, v->items[i], "'%s' is not a valid symbol name", v->keys[i]);
        (*names)[i] = v->keys[i];
        (*vals)[i] = fcn_ok ? fcn_arg(r, v->items[i]) : expr(r, v->items[i]);
    }
    return v->n;
}

static PfaExpr *fcndef(PRead *r, const JVal *v)
{
    PfaExpr *e = new_expr(r, PE_FCNDEF, v);
    for (int i = 0; i < v->n; i++)
        if (strcmp(v->keys[i], "params") && strcmp(v->keys[i], "ret") && strcmp(v->keys[i], "do"))
            syn_err(r, v->items[i], "unexpected member '%s' in a function definition", v->keys[i]);
    JVal *params = jget(v, "params"), *ret = jget(v, "ret"), *body = jget(v, "do");
    if (!params || !ret || !body) {
        syn_err(r, v, "a function definition needs \"params\", \"ret\" and \"do\"");
        return e;
    }
    if (params->kind != J_ARR) {
        syn_err(r, params, "\"params\" must be a JSON array of {name: type} objects");
        return e;
    }
    e->nnames = params->n;
    e->names = ARENA_ARRAY(r->a, const char *, params->n ? params->n : 1);
    e->ptypes = ARENA_ARRAY(r->a, JVal *, params->n ? params->n : 1);
    for (int i = 0; i < params->n; i++) {
        JVal *p = params->items[i];
        if (p->kind != J_OBJ || p->n != 1) {
            syn_err(r, p, "a parameter must be a JSON object with one member, {name: type}");
            continue;
        }
        if (!valid_symbol(p->keys[0], p->klens[0]))
            syn_err(r, p, "'%s' is not a valid parameter name", p->keys[0]);
        e->names[i] = p->keys[0];
        e->ptypes[i] = p->items[0];
    }
    e->ret_j = ret;
    e->body = block(r, body);
    if (e->body.n == 0)
        syn_err(r, body, "a function body must not be empty");
    return e;
}

static PfaExpr *fcnref(PRead *r, const JVal *v)
{
    PfaExpr *e = new_expr(r, PE_FCNREF, v);
    JVal *f = jget(v, "fcn"), *fill = jget(v, "fill");
    for (int i = 0; i < v->n; i++)
        if (strcmp(v->keys[i], "fcn") && strcmp(v->keys[i], "fill"))
            syn_err(r, v->items[i], "unexpected member '%s' in a function reference", v->keys[i]);
    if (f->kind != J_STR) {
        syn_err(r, f, "\"fcn\" must name a function");
        return e;
    }
    e->name = f->s;
    if (fill)
        e->nnames = name_map(r, fill, &e->names, &e->vals, 0, 0);
    return e;
}

/* a function argument: a function definition, a reference, or an expression */
static PfaExpr *fcn_arg(PRead *r, const JVal *v)
{
    if (v->kind == J_OBJ && jget(v, "params"))
        return fcndef(r, v);
    if (v->kind == J_OBJ && jget(v, "fcn"))
        return fcnref(r, v);
    return expr(r, v);
}

static PfaExpr **expr_list(PRead *r, const JVal *v, int *n, int fcn_ok)
{
    if (v->kind != J_ARR) {
        syn_err(r, v, "expected a JSON array");
        *n = 0;
        return NULL;
    }
    *n = v->n;
    PfaExpr **out = ARENA_ARRAY(r->a, PfaExpr *, v->n ? v->n : 1);
    for (int i = 0; i < v->n; i++)
        out[i] = fcn_ok ? fcn_arg(r, v->items[i]) : expr(r, v->items[i]);
    return out;
}

/* the member names a special form allows; reports the first stranger */
static void allow(PRead *r, const JVal *v, const char *const *ok, const char *form)
{
    for (int i = 0; i < v->n; i++) {
        int found = 0;
        for (const char *const *k = ok; *k; k++)
            if (!strcmp(v->keys[i], *k))
                found = 1;
        if (!found)
            syn_err(r, v->items[i], "unexpected member '%s' in a \"%s\" form", v->keys[i], form);
    }
}

static int need(PRead *r, const JVal *v, const char *key, const char *form)
{
    if (jget(v, key))
        return 1;
    syn_err(r, v, "a \"%s\" form needs a \"%s\" member", form, key);
    return 0;
}

static const char *need_str(PRead *r, const JVal *v, const char *what)
{
    if (!v || v->kind != J_STR) {
        if (v)
            syn_err(r, v, "%s must be a JSON string", what);
        return "";
    }
    return v->s;
}

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* standard base64 with padding; 0 on bad input */
int pfa_base64_decode(Arena *a, const char *s, size_t n, char **out, size_t *outlen)
{
    char *o = arena_alloc(a, n / 4 * 3 + 4);
    size_t k = 0;
    if (n % 4)
        return 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        for (int j = 0; j < 4; j++) {
            v[j] = s[i + j] == '=' ? -2 : b64val((unsigned char)s[i + j]);
            if (v[j] == -1)
                return 0;
        }
        if (v[0] < 0 || v[1] < 0 || (v[2] == -2 && v[3] != -2) || ((v[2] == -2 || v[3] == -2) && i + 4 != n))
            return 0;
        o[k++] = (char)(v[0] << 2 | v[1] >> 4);
        if (v[2] >= 0)
            o[k++] = (char)((v[1] & 15) << 4 | v[2] >> 2);
        if (v[3] >= 0)
            o[k++] = (char)((v[2] & 3) << 6 | v[3]);
    }
    o[k] = 0;
    *out = o;
    *outlen = k;
    return 1;
}

static PfaExpr *literal_form(PRead *r, const JVal *v, const char *key, const JVal *x)
{
    PfaExpr *e;
    if (!strcmp(key, "int") || !strcmp(key, "long")) {
        e = new_expr(r, !strcmp(key, "int") ? PE_LIT_INT : PE_LIT_LONG, v);
        if (x->kind != J_INT)
            syn_err(r, x, "an \"%s\" literal must be a JSON integer", key);
        else if (e->kind == PE_LIT_INT && (x->i < -2147483648LL || x->i > 2147483647LL))
            syn_err(r, x, "%lld does not fit in an int", x->i);
        e->i = x->i;
        return e;
    }
    if (!strcmp(key, "float") || !strcmp(key, "double")) {
        e = new_expr(r, !strcmp(key, "float") ? PE_LIT_FLOAT : PE_LIT_DOUBLE, v);
        if (x->kind != J_INT && x->kind != J_REAL)
            syn_err(r, x, "a \"%s\" literal must be a JSON number", key);
        e->d = e->kind == PE_LIT_FLOAT ? (double)(float)x->d : x->d;
        return e;
    }
    if (!strcmp(key, "string")) {
        e = new_expr(r, PE_LIT_STRING, v);
        e->s = need_str(r, x, "a \"string\" literal");
        e->slen = x->kind == J_STR ? x->slen : 0;
        return e;
    }
    /* base64 */
    e = new_expr(r, PE_LIT_BASE64, v);
    const char *s = need_str(r, x, "a \"base64\" literal");
    char *out;
    size_t n;
    if (x->kind == J_STR && !pfa_base64_decode(r->a, s, x->slen, &out, &n))
        syn_err(r, x, "not valid base64");
    else if (x->kind == J_STR) {
        e->s = out;
        e->slen = n;
    }
    return e;
}

static PfaExpr *dotted(PRead *r, const JVal *v)
{
    /* "x.4.key" is {"attr": "x", "path": [4, ["key"]]} */
    const char *s = v->s;
    const char *dot = memchr(s, '.', v->slen);
    PfaExpr *e = new_expr(r, PE_ATTR, v);
    PfaExpr *base = new_expr(r, PE_REF, v);
    base->name = arena_strndup(r->a, s, (size_t)(dot - s));
    if (!valid_symbol(base->name, strlen(base->name)))
        syn_err(r, v, "'%s' is not a valid symbol name", base->name);
    e->x = base;
    int n = 0;
    for (size_t i = 0; i < v->slen; i++)
        n += s[i] == '.';
    e->args = ARENA_ARRAY(r->a, PfaExpr *, n);
    const char *p = dot + 1, *end = s + v->slen;
    while (p <= end) {
        const char *q = memchr(p, '.', (size_t)(end - p));
        if (!q)
            q = end;
        size_t len = (size_t)(q - p);
        int digits = len > 0 && len < 10;
        for (size_t i = 0; i < len; i++)
            digits &= p[i] >= '0' && p[i] <= '9';
        PfaExpr *seg;
        if (digits) {
            seg = new_expr(r, PE_LIT_INT, v);
            seg->i = atol(arena_strndup(r->a, p, len));
        } else {
            seg = new_expr(r, PE_LIT_STRING, v);
            seg->s = arena_strndup(r->a, p, len);
            seg->slen = len;
        }
        e->args[e->nargs++] = seg;
        p = q + 1;
    }
    return e;
}

static const char *const K_ATTR[] = {"attr", "path", "to", NULL};
static const char *const K_CELL[] = {"cell", "path", "to", NULL};
static const char *const K_POOL[] = {"pool", "path", "to", "init", NULL};
static const char *const K_POOLDEL[] = {"pool", "del", NULL};
static const char *const K_IF[] = {"if", "then", "else", NULL};
static const char *const K_COND[] = {"cond", "else", NULL};
static const char *const K_WHILE[] = {"while", "do", NULL};
static const char *const K_UNTIL[] = {"do", "until", NULL};
static const char *const K_FOR[] = {"for", "while", "step", "do", NULL};
static const char *const K_FOREACH[] = {"foreach", "in", "do", "seq", NULL};
static const char *const K_FORKV[] = {"forkey", "forval", "in", "do", NULL};
static const char *const K_CAST[] = {"cast", "cases", "partial", NULL};
static const char *const K_CASE[] = {"as", "named", "do", NULL};
static const char *const K_UPCAST[] = {"upcast", "as", NULL};
static const char *const K_IFNN[] = {"ifnotnull", "then", "else", NULL};
static const char *const K_UNPACK[] = {"unpack", "format", "then", "else", NULL};
static const char *const K_NEW[] = {"type", "new", NULL};
static const char *const K_TYPED[] = {"type", "value", NULL};
static const char *const K_ERROR[] = {"error", "code", NULL};
static const char *const K_TRY[] = {"try", "filter", NULL};
static const char *const K_LOG[] = {"log", "namespace", NULL};
static const char *const K_CALL[] = {"call", "args", NULL};

static PfaExpr *object_expr(PRead *r, const JVal *v)
{
    PfaExpr *e;
    JVal *m;
    if (v->n == 0) {
        syn_err(r, v, "an empty JSON object is not an expression");
        return new_expr(r, PE_LIT_NULL, v);
    }
    if (v->n == 1) {
        const char *k = v->keys[0];
        JVal *x = v->items[0];
        if (!strcmp(k, "int") || !strcmp(k, "long") || !strcmp(k, "float") || !strcmp(k, "double") ||
            !strcmp(k, "string") || !strcmp(k, "base64"))
            return literal_form(r, v, k, x);
        if (!strcmp(k, "do")) {
            e = new_expr(r, PE_DO, v);
            e->body = block(r, x);
            if (e->body.n == 0)
                syn_err(r, x, "a \"do\" form needs at least one expression");
            return e;
        }
        if (!strcmp(k, "let") || !strcmp(k, "set")) {
            e = new_expr(r, k[0] == 'l' ? PE_LET : PE_SET, v);
            e->nnames = name_map(r, x, &e->names, &e->vals, 0, 1);
            if (x->kind == J_OBJ && e->nnames == 0)
                syn_err(r, x, "a \"%s\" form must name at least one symbol", k);
            return e;
        }
        if (!strcmp(k, "doc")) {
            e = new_expr(r, PE_DOC, v);
            e->s = need_str(r, x, "\"doc\"");
            return e;
        }
    }
    if ((m = jget(v, "fcn")) || jget(v, "params")) {
        syn_err(r, v, "a function is not an expression here (only as a function argument)");
        return new_expr(r, PE_LIT_NULL, v);
    }
    if ((m = jget(v, "attr"))) {
        allow(r, v, K_ATTR, "attr");
        e = new_expr(r, PE_ATTR, v);
        e->x = expr(r, m);
        if (need(r, v, "path", "attr"))
            e->args = expr_list(r, jget(v, "path"), &e->nargs, 0);
        if (jget(v, "path") && jget(v, "path")->kind == J_ARR && e->nargs == 0)
            syn_err(r, jget(v, "path"), "an \"attr\" path must not be empty");
        if ((m = jget(v, "to")))
            e->to = fcn_arg(r, m);
        return e;
    }
    if ((m = jget(v, "cell"))) {
        allow(r, v, K_CELL, "cell");
        e = new_expr(r, PE_CELL, v);
        e->name = need_str(r, m, "a cell name");
        if ((m = jget(v, "path"))) {
            e->has_path = 1;
            e->args = expr_list(r, m, &e->nargs, 0);
        }
        if ((m = jget(v, "to")))
            e->to = fcn_arg(r, m);
        return e;
    }
    if ((m = jget(v, "pool"))) {
        if (jget(v, "del")) {
            allow(r, v, K_POOLDEL, "pool-del");
            e = new_expr(r, PE_POOL_DEL, v);
            e->name = need_str(r, m, "a pool name");
            e->x = expr(r, jget(v, "del"));
            return e;
        }
        allow(r, v, K_POOL, "pool");
        e = new_expr(r, PE_POOL, v);
        e->name = need_str(r, m, "a pool name");
        if (need(r, v, "path", "pool"))
            e->args = expr_list(r, jget(v, "path"), &e->nargs, 0);
        if ((m = jget(v, "to")))
            e->to = fcn_arg(r, m);
        if ((m = jget(v, "init")))
            e->init = expr(r, m);
        if (e->to && !e->init)
            syn_err(r, v, "a \"pool\" form with \"to\" needs an \"init\"");
        return e;
    }
    if ((m = jget(v, "if"))) {
        allow(r, v, K_IF, "if");
        e = new_expr(r, PE_IF, v);
        e->x = expr(r, m);
        if (need(r, v, "then", "if"))
            e->body = block(r, jget(v, "then"));
        if ((m = jget(v, "else"))) {
            e->has_else = 1;
            e->els = block(r, m);
        }
        return e;
    }
    if ((m = jget(v, "cond"))) {
        allow(r, v, K_COND, "cond");
        e = new_expr(r, PE_COND, v);
        if (m->kind != J_ARR || m->n == 0) {
            syn_err(r, m, "\"cond\" must be a non-empty JSON array of if-then forms");
            return e;
        }
        e->nargs = m->n;
        e->args = ARENA_ARRAY(r->a, PfaExpr *, m->n);
        for (int i = 0; i < m->n; i++) {
            JVal *c = m->items[i];
            if (c->kind != J_OBJ || !jget(c, "if") || !jget(c, "then") || jget(c, "else") || c->n != 2) {
                syn_err(r, c, "each \"cond\" clause must be {\"if\": ..., \"then\": ...}");
                e->args[i] = new_expr(r, PE_LIT_NULL, c);
                continue;
            }
            e->args[i] = object_expr(r, c);
        }
        if ((m = jget(v, "else"))) {
            e->has_else = 1;
            e->els = block(r, m);
        }
        return e;
    }
    if ((m = jget(v, "for"))) {
        allow(r, v, K_FOR, "for");
        e = new_expr(r, PE_FOR, v);
        e->nnames = name_map(r, m, &e->names, &e->vals, 0, 1);
        if (need(r, v, "while", "for"))
            e->x = expr(r, jget(v, "while"));
        if (need(r, v, "step", "for"))
            e->nnames2 = name_map(r, jget(v, "step"), &e->names2, &e->vals2, 0, 1);
        if (need(r, v, "do", "for"))
            e->body = block(r, jget(v, "do"));
        return e;
    }
    if ((m = jget(v, "while"))) {
        allow(r, v, K_WHILE, "while");
        e = new_expr(r, PE_WHILE, v);
        e->x = expr(r, m);
        if (need(r, v, "do", "while"))
            e->body = block(r, jget(v, "do"));
        return e;
    }
    if ((m = jget(v, "until"))) {
        allow(r, v, K_UNTIL, "do-until");
        e = new_expr(r, PE_DO_UNTIL, v);
        e->x = expr(r, m);
        if (need(r, v, "do", "do-until"))
            e->body = block(r, jget(v, "do"));
        return e;
    }
    if ((m = jget(v, "foreach"))) {
        allow(r, v, K_FOREACH, "foreach");
        e = new_expr(r, PE_FOREACH, v);
        e->name = need_str(r, m, "a \"foreach\" symbol");
        if (m->kind == J_STR && !valid_symbol(m->s, m->slen))
            syn_err(r, m, "'%s' is not a valid symbol name", m->s);
        if (need(r, v, "in", "foreach"))
            e->x = expr(r, jget(v, "in"));
        if (need(r, v, "do", "foreach"))
            e->body = block(r, jget(v, "do"));
        e->b = 1;
        if ((m = jget(v, "seq"))) {
            if (m->kind != J_BOOL)
                syn_err(r, m, "\"seq\" must be true or false");
            e->b = m->b;
        }
        return e;
    }
    if ((m = jget(v, "forkey"))) {
        allow(r, v, K_FORKV, "forkey-forval");
        e = new_expr(r, PE_FORKV, v);
        e->name = need_str(r, m, "a \"forkey\" symbol");
        if (need(r, v, "forval", "forkey-forval"))
            e->name2 = need_str(r, jget(v, "forval"), "a \"forval\" symbol");
        if (need(r, v, "in", "forkey-forval"))
            e->x = expr(r, jget(v, "in"));
        if (need(r, v, "do", "forkey-forval"))
            e->body = block(r, jget(v, "do"));
        return e;
    }
    if ((m = jget(v, "cast"))) {
        allow(r, v, K_CAST, "cast");
        e = new_expr(r, PE_CAST, v);
        e->x = expr(r, m);
        if ((m = jget(v, "partial"))) {
            if (m->kind != J_BOOL)
                syn_err(r, m, "\"partial\" must be true or false");
            e->b = m->b;
        }
        if (!need(r, v, "cases", "cast"))
            return e;
        m = jget(v, "cases");
        if (m->kind != J_ARR) {
            syn_err(r, m, "\"cases\" must be a JSON array");
            return e;
        }
        e->nargs = m->n;
        e->args = ARENA_ARRAY(r->a, PfaExpr *, m->n ? m->n : 1);
        for (int i = 0; i < m->n; i++) {
            JVal *c = m->items[i];
            PfaExpr *ce = new_expr(r, PE_CASE, c);
            e->args[i] = ce;
            if (c->kind != J_OBJ) {
                syn_err(r, c, "a cast case must be {\"as\": type, \"named\": name, \"do\": ...}");
                continue;
            }
            allow(r, c, K_CASE, "cast case");
            if (!need(r, c, "as", "cast case") || !need(r, c, "named", "cast case") ||
                !need(r, c, "do", "cast case"))
                continue;
            ce->type_j = jget(c, "as");
            ce->name = need_str(r, jget(c, "named"), "\"named\"");
            ce->body = block(r, jget(c, "do"));
        }
        return e;
    }
    if ((m = jget(v, "upcast"))) {
        allow(r, v, K_UPCAST, "upcast");
        e = new_expr(r, PE_UPCAST, v);
        e->x = expr(r, m);
        if (need(r, v, "as", "upcast"))
            e->type_j = jget(v, "as");
        return e;
    }
    if ((m = jget(v, "ifnotnull"))) {
        allow(r, v, K_IFNN, "ifnotnull");
        e = new_expr(r, PE_IFNOTNULL, v);
        e->nnames = name_map(r, m, &e->names, &e->vals, 0, 1);
        if (m->kind == J_OBJ && e->nnames == 0)
            syn_err(r, m, "\"ifnotnull\" must name at least one symbol");
        if (need(r, v, "then", "ifnotnull"))
            e->body = block(r, jget(v, "then"));
        if ((m = jget(v, "else"))) {
            e->has_else = 1;
            e->els = block(r, m);
        }
        return e;
    }
    if ((m = jget(v, "unpack"))) {
        allow(r, v, K_UNPACK, "unpack");
        e = new_expr(r, PE_UNPACK, v);
        e->x = expr(r, m);
        if (need(r, v, "format", "unpack")) {
            JVal *f = jget(v, "format");
            if (f->kind != J_ARR)
                syn_err(r, f, "\"format\" must be a JSON array of {name: format}");
            else {
                e->nnames = f->n;
                e->names = ARENA_ARRAY(r->a, const char *, f->n ? f->n : 1);
                e->formats = ARENA_ARRAY(r->a, const char *, f->n ? f->n : 1);
                for (int i = 0; i < f->n; i++) {
                    JVal *it = f->items[i];
                    if (it->kind != J_OBJ || it->n != 1 || it->items[0]->kind != J_STR) {
                        syn_err(r, it, "a format must be {name: \"format\"}");
                        e->names[i] = "";
                        e->formats[i] = "";
                        continue;
                    }
                    e->names[i] = it->keys[0];
                    e->formats[i] = it->items[0]->s;
                }
            }
        }
        if (need(r, v, "then", "unpack"))
            e->body = block(r, jget(v, "then"));
        if ((m = jget(v, "else"))) {
            e->has_else = 1;
            e->els = block(r, m);
        }
        return e;
    }
    if ((m = jget(v, "pack")) && v->n == 1) {
        e = new_expr(r, PE_PACK, v);
        if (m->kind != J_ARR) {
            syn_err(r, m, "\"pack\" must be a JSON array of {format: expression}");
            return e;
        }
        e->nnames = m->n;
        e->names = ARENA_ARRAY(r->a, const char *, m->n ? m->n : 1);
        e->vals = ARENA_ARRAY(r->a, PfaExpr *, m->n ? m->n : 1);
        for (int i = 0; i < m->n; i++) {
            JVal *it = m->items[i];
            if (it->kind != J_OBJ || it->n != 1) {
                syn_err(r, it, "a pack item must be {format: expression}");
                e->names[i] = "";
                e->vals[i] = new_expr(r, PE_LIT_NULL, it);
                continue;
            }
            e->names[i] = it->keys[0];
            e->vals[i] = expr(r, it->items[0]);
        }
        return e;
    }
    if ((m = jget(v, "type")) && (jget(v, "new") || jget(v, "value"))) {
        if (jget(v, "new")) {
            allow(r, v, K_NEW, "new");
            e = new_expr(r, PE_NEW, v);
            e->type_j = m;
            JVal *n = jget(v, "new");
            if (n->kind == J_ARR)
                e->args = expr_list(r, n, &e->nargs, 0);
            else if (n->kind == J_OBJ) {
                e->has_path = 1; /* the object form */
                e->nnames = name_map(r, n, &e->names, &e->vals, 0, 0);
            } else
                syn_err(r, n, "\"new\" must be a JSON array or object of expressions");
            return e;
        }
        allow(r, v, K_TYPED, "type-value");
        e = new_expr(r, PE_LIT_TYPED, v);
        e->type_j = m;
        e->value_j = jget(v, "value");
        return e;
    }
    if ((m = jget(v, "error"))) {
        allow(r, v, K_ERROR, "error");
        e = new_expr(r, PE_ERROR, v);
        e->s = need_str(r, m, "an error message");
        e->slen = m->kind == J_STR ? m->slen : 0;
        if ((m = jget(v, "code"))) {
            if (m->kind != J_INT)
                syn_err(r, m, "an error \"code\" must be an integer");
            e->has_code = 1;
            e->i = m->i;
        }
        return e;
    }
    if ((m = jget(v, "try"))) {
        allow(r, v, K_TRY, "try");
        e = new_expr(r, PE_TRY, v);
        e->body = block(r, m);
        if ((m = jget(v, "filter"))) {
            if (m->kind != J_ARR) {
                syn_err(r, m, "\"filter\" must be a JSON array of strings and integers");
                return e;
            }
            e->filter_s = ARENA_ARRAY(r->a, const char *, m->n ? m->n : 1);
            e->filter_i = ARENA_ARRAY(r->a, long long, m->n ? m->n : 1);
            for (int i = 0; i < m->n; i++) {
                if (m->items[i]->kind == J_STR)
                    e->filter_s[e->nfilter_s++] = m->items[i]->s;
                else if (m->items[i]->kind == J_INT)
                    e->filter_i[e->nfilter_i++] = m->items[i]->i;
                else
                    syn_err(r, m->items[i], "a \"filter\" item must be a string or an integer");
            }
        }
        return e;
    }
    if ((m = jget(v, "log"))) {
        allow(r, v, K_LOG, "log");
        e = new_expr(r, PE_LOG, v);
        PfaBlock b = block(r, m);
        e->args = b.e;
        e->nargs = b.n;
        if ((m = jget(v, "namespace")))
            e->s = need_str(r, m, "a log \"namespace\"");
        return e;
    }
    if ((m = jget(v, "call"))) {
        allow(r, v, K_CALL, "call");
        e = new_expr(r, PE_CALL_ENUM, v);
        e->x = expr(r, m);
        if (need(r, v, "args", "call"))
            e->args = expr_list(r, jget(v, "args"), &e->nargs, 1);
        return e;
    }
    if (v->n != 1) {
        syn_err(r, v, "not a PFA expression: an object with members '%s', '%s'%s", v->keys[0], v->keys[1],
                v->n > 2 ? ", ..." : "");
        return new_expr(r, PE_LIT_NULL, v);
    }
    /* an ordinary function call */
    e = new_expr(r, PE_CALL, v);
    e->name = v->keys[0];
    JVal *x = v->items[0];
    if (x->kind == J_ARR)
        e->args = expr_list(r, x, &e->nargs, 1);
    else {
        e->nargs = 1;
        e->args = ARENA_ARRAY(r->a, PfaExpr *, 1);
        e->args[0] = fcn_arg(r, x);
    }
    return e;
}

static PfaExpr *expr(PRead *r, const JVal *v)
{
    PfaExpr *e;
    switch (v->kind) {
    case J_NULL:
        return new_expr(r, PE_LIT_NULL, v);
    case J_BOOL:
        e = new_expr(r, PE_LIT_BOOL, v);
        e->b = v->b;
        return e;
    case J_INT:
        e = new_expr(r, v->i >= -2147483648LL && v->i <= 2147483647LL ? PE_LIT_INT : PE_LIT_LONG, v);
        e->i = v->i;
        return e;
    case J_REAL:
        e = new_expr(r, PE_LIT_DOUBLE, v);
        e->d = v->d;
        return e;
    case J_STR:
        if (memchr(v->s, '.', v->slen))
            return dotted(r, v);
        e = new_expr(r, PE_REF, v);
        e->name = v->s;
        if (!valid_symbol(v->s, v->slen))
            syn_err(r, v, "'%s' is not a valid symbol name (a string literal is {\"string\": ...})", v->s);
        return e;
    case J_ARR:
        if (v->n == 1 && v->items[0]->kind == J_STR) {
            e = new_expr(r, PE_LIT_STRING, v);
            e->s = v->items[0]->s;
            e->slen = v->items[0]->slen;
            return e;
        }
        syn_err(r, v, "a JSON array is not an expression (only [\"string\"] is)");
        return new_expr(r, PE_LIT_NULL, v);
    case J_OBJ:
        return object_expr(r, v);
    }
    return new_expr(r, PE_LIT_NULL, v);
}

static const char *const TOP_KEYS[] = {"name", "method", "input", "output", "begin", "action", "end",
                                       "fcns", "zero", "merge", "cells", "pools", "randseed", "doc",
                                       "version", "metadata", "options", NULL};

static void named_state(PRead *r, const JVal *v, int pool, PfaNamed **out, int *n)
{
    if (v->kind != J_OBJ) {
        syn_err(r, v, "\"%s\" must be a JSON object", pool ? "pools" : "cells");
        return;
    }
    *out = ARENA_ARRAY(r->a, PfaNamed, v->n ? v->n : 1);
    for (int i = 0; i < v->n; i++) {
        JVal *c = v->items[i];
        PfaNamed *s = &(*out)[(*n)++];
        s->name = v->keys[i];
        s->loc = c->loc;
        if (!valid_symbol(v->keys[i], v->klens[i]))
            syn_err(r, c, "'%s' is not a valid %s name", v->keys[i], pool ? "pool" : "cell");
        if (c->kind != J_OBJ) {
            syn_err(r, c, "a %s must be a JSON object with \"type\" and \"init\"", pool ? "pool" : "cell");
            continue;
        }
        for (int k = 0; k < c->n; k++)
            if (strcmp(c->keys[k], "type") && strcmp(c->keys[k], "init") && strcmp(c->keys[k], "shared") &&
                strcmp(c->keys[k], "rollback") && strcmp(c->keys[k], "source"))
                syn_err(r, c->items[k], "unexpected member '%s' in a %s", c->keys[k], pool ? "pool" : "cell");
        s->type_j = jget(c, "type");
        s->init = jget(c, "init");
        if (!s->type_j)
            syn_err(r, c, "a %s needs a \"type\"", pool ? "pool" : "cell");
        if (!s->init && !pool)
            syn_err(r, c, "a cell needs an \"init\"");
        JVal *m;
        if ((m = jget(c, "shared"))) {
            if (m->kind != J_BOOL)
                syn_err(r, m, "\"shared\" must be true or false");
            s->shared = m->b;
        }
        if ((m = jget(c, "rollback"))) {
            if (m->kind != J_BOOL)
                syn_err(r, m, "\"rollback\" must be true or false");
            s->rollback = m->b;
        }
        if (s->shared && s->rollback)
            syn_err(r, c, "a %s cannot be both shared and rollback", pool ? "pool" : "cell");
        if ((m = jget(c, "source")) && !jstr_is(m, "embedded"))
            syn_err(r, m, "only \"embedded\" initial values are supported (no external files)");
    }
}

PfaDoc *read_pfa(Arena *a, Diags *d, const char *file, const char *data, size_t len,
                 const PfaLimits *lim)
{
    JVal *root = read_json(a, d, file, data, len, lim);
    if (!root)
        return NULL;
    return pfa_doc_from_json(a, d, file, root);
}

PfaDoc *pfa_doc_from_json(Arena *a, Diags *d, const char *file, JVal *root)
{
    PRead r = {.a = a, .d = d, .file = file};
    if (root->kind != J_OBJ) {
        syn_err(&r, root, "a PFA document must be a JSON object");
        return NULL;
    }
    PfaDoc *doc = ARENA_NEW(a, PfaDoc);
    doc->file = file;
    doc->root = root;
    allow(&r, root, TOP_KEYS, "PFA document");
    JVal *m;
    if ((m = jget(root, "name")))
        doc->name = need_str(&r, m, "\"name\"");
    if ((m = jget(root, "method"))) {
        if (jstr_is(m, "map"))
            doc->method = PFA_MAP;
        else if (jstr_is(m, "emit"))
            doc->method = PFA_EMIT;
        else if (jstr_is(m, "fold"))
            doc->method = PFA_FOLD;
        else
            syn_err(&r, m, "\"method\" must be \"map\", \"emit\" or \"fold\"");
    }
    doc->input_j = jget(root, "input");
    doc->output_j = jget(root, "output");
    if (!doc->input_j)
        syn_err(&r, root, "a PFA document needs an \"input\" type");
    if (!doc->output_j)
        syn_err(&r, root, "a PFA document needs an \"output\" type");
    if ((m = jget(root, "action")))
        doc->action = block(&r, m);
    else
        syn_err(&r, root, "a PFA document needs an \"action\"");
    if (m && doc->action.n == 0)
        syn_err(&r, m, "the \"action\" must not be empty");
    if ((m = jget(root, "begin")))
        doc->begin = block(&r, m);
    if ((m = jget(root, "end")))
        doc->end = block(&r, m);
    if ((m = jget(root, "merge"))) {
        doc->merge = block(&r, m);
        doc->has_merge = 1;
    }
    doc->zero = jget(root, "zero");
    if (doc->method == PFA_FOLD && (!doc->zero || !doc->has_merge))
        syn_err(&r, root, "a fold engine needs \"zero\" and \"merge\"");
    if (doc->method != PFA_FOLD && doc->zero)
        syn_err(&r, doc->zero, "only a fold engine has a \"zero\"");
    if (doc->method != PFA_FOLD && doc->has_merge)
        syn_err(&r, jget(root, "merge"), "only a fold engine has a \"merge\"");
    if ((m = jget(root, "fcns"))) {
        if (m->kind != J_OBJ)
            syn_err(&r, m, "\"fcns\" must be a JSON object of function definitions");
        else {
            doc->fcns = ARENA_ARRAY(a, PfaFcn, m->n ? m->n : 1);
            for (int i = 0; i < m->n; i++) {
                JVal *f = m->items[i];
                if (!valid_symbol(m->keys[i], m->klens[i]))
                    syn_err(&r, f, "'%s' is not a valid function name", m->keys[i]);
                if (f->kind != J_OBJ || !jget(f, "params")) {
                    syn_err(&r, f, "a function must be {\"params\": ..., \"ret\": ..., \"do\": ...}");
                    continue;
                }
                PfaFcn *fn = &doc->fcns[doc->nfcns++];
                fn->name = m->keys[i];
                fn->def = fcndef(&r, f);
            }
        }
    }
    if ((m = jget(root, "cells")))
        named_state(&r, m, 0, &doc->cells, &doc->ncells);
    if ((m = jget(root, "pools")))
        named_state(&r, m, 1, &doc->pools, &doc->npools);
    if ((m = jget(root, "randseed"))) {
        if (m->kind != J_INT)
            syn_err(&r, m, "\"randseed\" must be an integer");
        doc->has_randseed = 1;
        doc->randseed = m->i;
    }
    if ((m = jget(root, "version"))) {
        if (m->kind != J_INT)
            syn_err(&r, m, "\"version\" must be an integer");
        doc->has_version = 1;
        doc->version = m->i;
    }
    if ((m = jget(root, "doc")) && m->kind != J_STR)
        syn_err(&r, m, "\"doc\" must be a string");
    if ((m = jget(root, "metadata"))) {
        if (m->kind != J_OBJ)
            syn_err(&r, m, "\"metadata\" must be a JSON object of strings");
        else {
            doc->meta_keys = ARENA_ARRAY(a, const char *, m->n ? m->n : 1);
            doc->meta_vals = ARENA_ARRAY(a, const char *, m->n ? m->n : 1);
            for (int i = 0; i < m->n; i++) {
                doc->meta_keys[i] = m->keys[i];
                doc->meta_vals[i] = need_str(&r, m->items[i], "a metadata value");
            }
            doc->nmeta = m->n;
        }
    }
    doc->timeout[0] = doc->timeout[1] = doc->timeout[2] = -1;
    if ((m = jget(root, "options"))) {
        if (m->kind != J_OBJ)
            syn_err(&r, m, "\"options\" must be a JSON object");
        doc->options = m;
        /* "timeout" for every routine; "timeout.begin|action|end" overrides it for one */
        static const char *const keys[4] = {"timeout", "timeout.begin", "timeout.action", "timeout.end"};
        long long ms[4] = {-1, -2, -2, -2};
        for (int k = 0; k < 4 && m->kind == J_OBJ; k++) {
            JVal *t = jget(m, keys[k]);
            if (!t)
                continue;
            if (t->kind != J_INT)
                syn_err(&r, t, "option \"%s\" must be an integer (milliseconds)", keys[k]);
            else
                ms[k] = t->i < 0 ? -1 : t->i;
        }
        for (int j = 0; j < 3; j++)
            doc->timeout[j] = ms[j + 1] != -2 ? ms[j + 1] : ms[0];
    }
    return d->errors ? NULL : doc;
}

const char *pfa_reader_version(void)
{
    return jansson_version_str();
}
