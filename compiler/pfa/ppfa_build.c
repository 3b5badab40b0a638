/* The constructors that the PrettyPFA grammar's actions call (ppfa.h): each
 * records what the text says as a PNode, with the location of its token.
 * The scanner's leaves are decoded here too: numbers (an integer unless it
 * has a '.' or an exponent, as Titus reads them) and strings (the escapes of
 * a Python string literal, which Titus evaluates, and JSON's \uXXXX).
 * Nothing here knows what PFA means by a form; ppfa_interp.c does. */
#include "ppfa.h"

#include <stdlib.h>
#include <string.h>

Loc pp_loc(PpCtx *x, int line, int col)
{
    Loc l = {.file = x->file, .line = line, .col = col};
    return l;
}

PNode *pp_node(PpCtx *x, PNodeKind k, Loc loc)
{
    PNode *n = ARENA_NEW(x->a, PNode);
    n->kind = k;
    n->loc = loc;
    return n;
}

PNode *pp_push(PpCtx *x, PNode *list, PNode *item)
{
    VEC_PUSH(x->a, list->kids, list->n, list->cap, item);
    return list;
}

PNode *pp_list(PpCtx *x, PNode *first, Loc loc)
{
    PNode *l = pp_node(x, PN_LIST, loc);
    if (first)
        pp_push(x, l, first);
    return l;
}

PNode *pp_semi(PNode *list)
{
    list->flag = 1;
    return list;
}

/* the kids of a LIST node become n's */
static void take(PNode *n, PNode *list)
{
    if (!list)
        return;
    n->kids = list->kids;
    n->n = list->n;
    n->cap = list->cap;
}

PNode *pp_leaf_number(PpCtx *x, const char *text, size_t n, Loc loc)
{
    PNode *p = pp_node(x, PN_NUM, loc);
    p->s = arena_strndup(x->a, text, n);
    p->is_int = !strpbrk(p->s, ".eE");
    if (p->is_int) {
        if (!parse_long(p->s, &p->i)) {
            diag_error(x->d, loc, "the integer %s is out of the range of a long (64 bits)", p->s);
            return NULL;
        }
        p->num = (double)p->i;
    } else {
        char *end;
        p->num = strtod(p->s, &end);
        if (p->num > 1.7976931348623157e308 || p->num < -1.7976931348623157e308) {
            diag_error(x->d, loc, "the number %s is out of the range of a double", p->s);
            return NULL;
        }
    }
    return p;
}

static void put_utf8(StrBuf *b, unsigned long c)
{
    if (c < 0x80)
        sb_putc(b, (char)c);
    else if (c < 0x800) {
        sb_putc(b, (char)(0xC0 | (c >> 6)));
        sb_putc(b, (char)(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
        sb_putc(b, (char)(0xE0 | (c >> 12)));
        sb_putc(b, (char)(0x80 | ((c >> 6) & 0x3F)));
        sb_putc(b, (char)(0x80 | (c & 0x3F)));
    } else {
        sb_putc(b, (char)(0xF0 | (c >> 18)));
        sb_putc(b, (char)(0x80 | ((c >> 12) & 0x3F)));
        sb_putc(b, (char)(0x80 | ((c >> 6) & 0x3F)));
        sb_putc(b, (char)(0x80 | (c & 0x3F)));
    }
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* n hex digits at s, or -1 */
static long hexn(const char *s, size_t avail, int n)
{
    long v = 0;
    if ((size_t)n > avail)
        return -1;
    for (int i = 0; i < n; i++) {
        int h = hexval((unsigned char)s[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* well-formed UTF-8 (no overlongs, no surrogates); returns the offset of the
   first bad byte or n */
static size_t utf8_check(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        int k;
        unsigned long cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            k = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            k = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3;
            cp = c & 0x07;
        } else
            return i;
        for (int j = 1; j <= k; j++) {
            if (i + (size_t)j >= n || ((unsigned char)s[i + j] & 0xC0) != 0x80)
                return i;
            cp = cp << 6 | ((unsigned char)s[i + j] & 0x3F);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += (size_t)k + 1;
    }
    return n;
}

PNode *pp_leaf_string(PpCtx *x, const char *text, size_t n, int raw, Loc loc)
{
    PNode *p = pp_node(x, PN_STR, loc);
    StrBuf b;
    sb_init(&b);
    sb_putn(&b, "", 0); /* data is never NULL, even for "" */
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        if (raw || c != '\\' || i + 1 >= n) {
            sb_putc(&b, c);
            continue;
        }
        char e = text[++i];
        const char *rest = text + i + 1;
        size_t avail = n - i - 1;
        long v;
        switch (e) {
        case '\\': sb_putc(&b, '\\'); break;
        case '\'': sb_putc(&b, '\''); break;
        case '"': sb_putc(&b, '"'); break;
        case '/': sb_putc(&b, '/'); break;
        case 'a': sb_putc(&b, '\a'); break;
        case 'b': sb_putc(&b, '\b'); break;
        case 'f': sb_putc(&b, '\f'); break;
        case 'n': sb_putc(&b, '\n'); break;
        case 'r': sb_putc(&b, '\r'); break;
        case 't': sb_putc(&b, '\t'); break;
        case 'v': sb_putc(&b, '\v'); break;
        case 'x':
            if ((v = hexn(rest, avail, 2)) < 0)
                goto bad;
            put_utf8(&b, (unsigned long)v);
            i += 2;
            break;
        case 'u':
            if ((v = hexn(rest, avail, 4)) < 0)
                goto bad;
            i += 4;
            if (v >= 0xD800 && v <= 0xDBFF) { /* a surrogate pair, as JSON writes it */
                long lo = avail >= 10 && rest[4] == '\\' && rest[5] == 'u' ? hexn(rest + 6, avail - 6, 4) : -1;
                if (lo < 0xDC00 || lo > 0xDFFF)
                    goto bad;
                v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            } else if (v >= 0xDC00 && v <= 0xDFFF)
                goto bad;
            put_utf8(&b, (unsigned long)v);
            break;
        case 'U':
            if ((v = hexn(rest, avail, 8)) < 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
                goto bad;
            put_utf8(&b, (unsigned long)v);
            i += 8;
            break;
        default:
            if (e >= '0' && e <= '7') { /* up to three octal digits */
                v = e - '0';
                for (int k = 0; k < 2 && i + 1 < n && text[i + 1] >= '0' && text[i + 1] <= '7'; k++)
                    v = v * 8 + (text[++i] - '0');
                put_utf8(&b, (unsigned long)v);
            } else { /* as Python keeps an unknown escape: the backslash stays */
                sb_putc(&b, '\\');
                sb_putc(&b, e);
            }
        }
    }
    size_t badat = utf8_check(b.data, b.len);
    if (badat < b.len) {
        diag_error(x->d, loc, "the string is not valid UTF-8 (byte 0x%02x)", (unsigned char)b.data[badat]);
        sb_free(&b);
        return NULL;
    }
    p->s = arena_strndup(x->a, b.data, b.len);
    p->slen = b.len;
    sb_free(&b);
    return p;
bad:
    diag_error(x->d, loc, "a bad escape in the string: \\u and \\x need hex digits (and \\u a whole "
               "surrogate pair)");
    sb_free(&b);
    return NULL;
}

PNode *pp_leaf_name(PpCtx *x, const char *text, size_t n, Loc loc)
{
    PNode *p = pp_node(x, PN_NAME, loc);
    p->s = arena_strndup(x->a, text, n);
    p->slen = n;
    return p;
}

PNode *pp_call(PpCtx *x, PNode *name, PNode *args)
{
    PNode *p = pp_node(x, PN_CALL, name->loc);
    p->s = name->s;
    take(p, args);
    return p;
}

PNode *pp_op1(PpCtx *x, const char *op, PNode *e, Loc loc)
{
    PNode *p = pp_node(x, PN_CALL, loc);
    p->s = op;
    pp_push(x, p, e);
    return p;
}

PNode *pp_op2(PpCtx *x, const char *op, PNode *l, PNode *r, Loc loc)
{
    PNode *p = pp_node(x, PN_CALL, loc);
    p->s = op;
    pp_push(x, p, l);
    pp_push(x, p, r);
    return p;
}

PNode *pp_paren(PNode *e)
{
    e->paren = 1;
    return e;
}

/* a name from a string (a key of key: value, a loop variable): JSON's names
   cannot hold a NUL (jansson, as most readers, refuses it in a key) */
static void key_check(PpCtx *x, const PNode *key)
{
    if (key->kind == PN_STR && memchr(key->s, 0, key->slen))
        diag_error(x->d, key->loc, "a key or a name cannot hold a NUL character");
}

PNode *pp_param(PpCtx *x, PNode *key, PNode *value)
{
    key_check(x, key);
    PNode *p = pp_node(x, PN_PARAM, key->loc);
    p->s = key->s;
    p->slen = key->slen;
    p->a = value;
    return p;
}

PNode *pp_bracket(PpCtx *x, PNode *items, Loc loc)
{
    PNode *p = pp_node(x, PN_BRACKET, loc);
    take(p, items);
    return p;
}

PNode *pp_block(PpCtx *x, PNode *items, Loc loc)
{
    PNode *p = pp_node(x, PN_BLOCK, loc);
    take(p, items);
    return p;
}

PNode *pp_fcndef(PpCtx *x, PNode *params, PNode *ret, PNode *body, Loc loc)
{
    PNode *p = pp_node(x, PN_FCNDEF, loc);
    take(p, params);
    p->a = ret;
    p->b = body;
    return p;
}

PNode *pp_namedfcn(PpCtx *x, PNode *name, PNode *def)
{
    PNode *p = pp_node(x, PN_NAMEDFCN, name->loc);
    p->s = name->s;
    p->a = def;
    return p;
}

PNode *pp_cellpool(PpCtx *x, PNode *name, PNode *args, PNode *init)
{
    PNode *p = pp_node(x, PN_CELLPOOL, name->loc);
    p->s = name->s;
    take(p, args);
    p->a = init;
    return p;
}

PNode *pp_if(PpCtx *x, PNode *pred, PNode *then, PNode *els, Loc loc)
{
    PNode *p = pp_node(x, PN_IF, loc);
    p->a = pred;
    p->b = then;
    p->c = els;
    return p;
}

PNode *pp_while(PpCtx *x, PNode *pred, PNode *body, Loc loc)
{
    PNode *p = pp_node(x, PN_WHILE, loc);
    p->a = pred;
    p->b = body;
    return p;
}

PNode *pp_dountil(PpCtx *x, PNode *body, PNode *pred, Loc loc)
{
    PNode *p = pp_node(x, PN_DOUNTIL, loc);
    p->a = pred;
    p->b = body;
    return p;
}

PNode *pp_for(PpCtx *x, PNode *init, PNode *pred, PNode *step, PNode *body, Loc loc)
{
    PNode *p = pp_node(x, PN_FOR, loc);
    p->a = init;
    p->b = pred;
    p->c = step;
    p->d = body;
    return p;
}

PNode *pp_foreach(PpCtx *x, PNode *param, PNode *seq, PNode *body, Loc loc)
{
    PNode *p = pp_node(x, PN_FOREACH, loc);
    p->a = param;
    p->b = seq;
    p->d = body;
    return p;
}

PNode *pp_forkv(PpCtx *x, PNode *key, PNode *param, PNode *body, Loc loc)
{
    key_check(x, key);
    PNode *p = pp_node(x, PN_FORKV, loc);
    p->s = key->s;
    p->slen = key->slen;
    p->a = param;
    p->d = body;
    return p;
}

PNode *pp_cast(PpCtx *x, PNode *e, PNode *partial, PNode *cases, Loc loc)
{
    PNode *p = pp_node(x, PN_CAST, loc);
    p->a = e;
    p->b = partial;
    take(p, cases);
    return p;
}

PNode *pp_as(PpCtx *x, PNode *param, PNode *body, Loc loc)
{
    PNode *p = pp_node(x, PN_AS, loc);
    p->a = param;
    p->d = body;
    return p;
}

PNode *pp_ifnotnull(PpCtx *x, PNode *params, PNode *then, PNode *els, Loc loc)
{
    PNode *p = pp_node(x, PN_IFNOTNULL, loc);
    take(p, params);
    p->b = then;
    p->c = els;
    return p;
}

PNode *pp_unpack(PpCtx *x, PNode *bytes, PNode *params, PNode *then, PNode *els, Loc loc)
{
    PNode *p = pp_node(x, PN_UNPACK, loc);
    p->a = bytes;
    take(p, params);
    p->b = then;
    p->c = els;
    return p;
}

PNode *pp_try(PpCtx *x, PNode *filters, PNode *body, Loc loc)
{
    PNode *p = pp_node(x, PN_TRY, loc);
    if (body) {
        p->has_filter = filters != NULL;
        take(p, filters);
        p->d = body;
    } else { /* try (x): no filters, x is the body */
        p->d = filters && filters->n == 1 ? filters->kids[0] : NULL;
        if (!p->d)
            take(p, filters); /* reported by the interpreter */
    }
    return p;
}

PNode *pp_index(PpCtx *x, PNode *base, PNode *args, Loc loc)
{
    PNode *p = pp_node(x, PN_INDEX, loc);
    p->a = base;
    take(p, args);
    return p;
}

PNode *pp_index_set(PpCtx *x, PNode *index, PNode *value, PNode *init)
{
    index->kind = PN_INDEX_SET;
    index->b = value;
    index->c = init;
    (void)x;
    return index;
}

PNode *pp_assign(PpCtx *x, PNode *name, PNode *value, Loc loc)
{
    PNode *p = pp_node(x, PN_ASSIGN, name->loc);
    PNode *pair = pp_node(x, PN_PARAM, loc);
    pair->s = name->s;
    pair->slen = name->slen;
    pair->loc = name->loc;
    pair->a = value;
    pp_push(x, p, pair);
    return p;
}

PNode *pp_assigns(PpCtx *x, PNode *assigns, PNode *more)
{
    for (int i = 0; i < more->n; i++)
        pp_push(x, assigns, more->kids[i]);
    return assigns;
}

PNode *pp_var(PNode *assigns)
{
    assigns->flag = 1;
    return assigns;
}

PNode *pp_to(PpCtx *x, PNode *base, PNode *to, PNode *init, Loc loc)
{
    PNode *p = pp_node(x, PN_TO, loc);
    p->a = base;
    p->b = to;
    p->c = init;
    return p;
}

PNode *pp_enumsym(PpCtx *x, PNode *type, PNode *sym, Loc loc)
{
    PNode *p = pp_node(x, PN_ENUMSYM, loc);
    p->s = type->s;
    p->s2 = sym->s;
    (void)loc;
    p->loc = type->loc;
    return p;
}

void pp_section(PpCtx *x, PNode *heading, PNode *content)
{
    PNode *p = pp_node(x, PN_SECTION, heading->loc);
    p->s = heading->s;
    p->a = content;
    if (!x->sections)
        x->sections = pp_list(x, NULL, heading->loc);
    pp_push(x, x->sections, p);
}
