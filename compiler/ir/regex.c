/* Regular expressions of models, compiled when the model is: a pattern in
 * PCRE's syntax (what the PMML standard names) to a program of the Pike VM
 * in runtime/lib/regex.c, which the backend prints as data.
 *
 * What nerva gives is PCRE2's meaning in UTF mode without Unicode
 * properties: characters are code points; \d \w \s \b are ASCII; (?i)
 * folds ASCII letters the Unicode way (k also matches U+212A KELVIN SIGN,
 * s U+017F LONG S); "." stops at \n; $ matches at the end or before a final
 * \n.  A construct nerva cannot give that exact meaning (back references,
 * lookaround, atomic groups, possessive quantifiers, Unicode properties,
 * case-insensitive non-ASCII letters, a "{" that is not a quantifier, ...)
 * is an error naming its column, never an approximation.  Patterns are
 * bounded (length, repetition counts, program size), so a hostile model
 * cannot make the compiler or the matcher blow up.  The meaning is checked
 * against PCRE2 itself by tests/unit/test_regex_diff.c. */
#include "bounds.h"
#include "ir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RE_MAX_DEPTH 100      /* nesting of groups (the reader's depth bounds it too) */

typedef enum { N_EMPTY, N_CHAR, N_ANY, N_CLASS, N_CAT, N_ALT, N_REP, N_GROUP, N_ASSERT } NodeKind;

typedef struct Node Node;
struct Node {
    NodeKind k;
    int c;           /* N_CHAR code point, N_ASSERT op, N_CLASS offset, N_ANY dotall */
    Node *a, *b;     /* N_CAT, N_ALT; N_REP and N_GROUP: a */
    int min, max;    /* N_REP (max -1: unbounded) */
    int greedy;
    int group;       /* N_GROUP: capture number, 0 non-capturing */
};

/* a set of code points as sorted, disjoint ranges */
typedef struct Ranges {
    int *lo, *hi;
    int n, cap;
} Ranges;

enum { F_CASELESS = 1, F_MULTILINE = 2, F_DOTALL = 4 };
#define RE_TOP 0x1100ff  /* the highest "character": an invalid byte 0xff */

typedef struct P {
    Arena *a;
    const char *src, *s;   /* pattern, position */
    const char *end;
    int ngroups, depth;
    char *err;
    size_t errlen;
    int failed;
    int *cls;              /* the class table being built */
    int ncls, capcls;
} P;

static Node *fail(P *p, const char *at, const char *fmt, const char *arg)
{
    if (!p->failed) {
        char msg[200];
        snprintf(msg, sizeof msg, fmt, arg ? arg : "");
        snprintf(p->err, p->errlen, "%s (at column %d of the pattern)", msg, (int)(at - p->src) + 1);
        p->failed = 1;
    }
    return NULL;
}

static Node *node(P *p, NodeKind k)
{
    Node *n = ARENA_NEW(p->a, Node);
    n->k = k;
    return n;
}

/* the UTF-8 code point at *s (moves past it); -1 for bytes that are not UTF-8 */
static int utf8_next(const char **s, const char *end)
{
    const unsigned char *u = (const unsigned char *)*s;
    int c = u[0], need = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2
                                       : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (need < 0 || (const char *)u + need >= end + (need ? 0 : 1))
        return -1;
    int cp = need == 0 ? c : need == 1 ? c & 0x1f : need == 2 ? c & 0x0f : c & 0x07;
    for (int k = 1; k <= need; k++) {
        if ((u[k] & 0xc0) != 0x80)
            return -1;
        cp = (cp << 6) | (u[k] & 0x3f);
    }
    if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
        return -1;
    *s += need + 1;
    return cp;
}

/* ---- sets of characters ---- */
static void ranges_add(P *p, Ranges *r, int lo, int hi)
{
    if (r->n == r->cap) {
        int cap = r->cap ? 2 * r->cap : 8;
        int *nl = ARENA_ARRAY(p->a, int, cap), *nh = ARENA_ARRAY(p->a, int, cap);
        if (r->n) {
            memcpy(nl, r->lo, sizeof *nl * (size_t)r->n);
            memcpy(nh, r->hi, sizeof *nh * (size_t)r->n);
        }
        r->lo = nl;
        r->hi = nh;
        r->cap = cap;
    }
    r->lo[r->n] = lo;
    r->hi[r->n] = hi;
    r->n++;
}

/* sorted and merged */
static void ranges_norm(Ranges *r)
{
    for (int i = 1; i < r->n; i++)
        for (int j = i; j > 0 && r->lo[j - 1] > r->lo[j]; j--) {
            int t = r->lo[j];
            r->lo[j] = r->lo[j - 1];
            r->lo[j - 1] = t;
            t = r->hi[j];
            r->hi[j] = r->hi[j - 1];
            r->hi[j - 1] = t;
        }
    int k = 0;
    for (int i = 0; i < r->n; i++) {
        if (k && r->lo[i] <= r->hi[k - 1] + 1) {
            if (r->hi[i] > r->hi[k - 1])
                r->hi[k - 1] = r->hi[i];
        } else {
            r->lo[k] = r->lo[i];
            r->hi[k] = r->hi[i];
            k++;
        }
    }
    r->n = k;
}

static void ranges_negate(P *p, Ranges *r)
{
    ranges_norm(r);
    Ranges o = {0};
    int next = 0;
    for (int i = 0; i < r->n; i++) {
        if (r->lo[i] > next)
            ranges_add(p, &o, next, r->lo[i] - 1);
        next = r->hi[i] + 1;
    }
    if (next <= RE_TOP)
        ranges_add(p, &o, next, RE_TOP);
    *r = o;
}

/* (?i): an ASCII letter's other case, and the two non-ASCII characters
   Unicode folds with ASCII letters */
static void ranges_caseless(P *p, Ranges *r)
{
    int n = r->n;
    for (int i = 0; i < n; i++)
        for (int c = r->lo[i]; c <= r->hi[i] && c < 128; c++) {
            if (c >= 'a' && c <= 'z')
                ranges_add(p, r, c - 32, c - 32);
            if (c >= 'A' && c <= 'Z')
                ranges_add(p, r, c + 32, c + 32);
            if (c == 'k' || c == 'K')
                ranges_add(p, r, 0x212a, 0x212a);
            if (c == 's' || c == 'S')
                ranges_add(p, r, 0x17f, 0x17f);
        }
}

/* the class escapes \d \w \s \h \v (upper case: the complement) */
static int class_escape(P *p, Ranges *r, char e)
{
    Ranges t = {0};
    switch (e | 0x20) {
    case 'd': ranges_add(p, &t, '0', '9'); break;
    case 'w':
        ranges_add(p, &t, '0', '9');
        ranges_add(p, &t, 'A', 'Z');
        ranges_add(p, &t, '_', '_');
        ranges_add(p, &t, 'a', 'z');
        break;
    case 's':
        ranges_add(p, &t, 9, 13);
        ranges_add(p, &t, ' ', ' ');
        break;
    case 'h': {
        static const int hs[][2] = {{9, 9}, {32, 32}, {0xa0, 0xa0}, {0x1680, 0x1680}, {0x180e, 0x180e},
                                    {0x2000, 0x200a}, {0x202f, 0x202f}, {0x205f, 0x205f}, {0x3000, 0x3000}};
        for (size_t i = 0; i < sizeof hs / sizeof *hs; i++)
            ranges_add(p, &t, hs[i][0], hs[i][1]);
        break;
    }
    case 'v':
        ranges_add(p, &t, 10, 13);
        ranges_add(p, &t, 0x85, 0x85);
        ranges_add(p, &t, 0x2028, 0x2029);
        break;
    default:
        return 0;
    }
    if (e >= 'A' && e <= 'Z')
        ranges_negate(p, &t);
    for (int i = 0; i < t.n; i++)
        ranges_add(p, r, t.lo[i], t.hi[i]);
    return 1;
}

/* a class node for ranges r (normalized into the class table) */
static Node *class_node(P *p, Ranges *r)
{
    ranges_norm(r);
    if (r->n == 1 && r->lo[0] == r->hi[0]) {
        Node *n = node(p, N_CHAR);
        n->c = r->lo[0];
        return n;
    }
    int need = 1 + 2 * r->n;
    if (p->ncls + need > p->capcls) {
        int cap = (p->ncls + need) * 2;
        int *nc = ARENA_ARRAY(p->a, int, cap);
        if (p->ncls)
            memcpy(nc, p->cls, sizeof *nc * (size_t)p->ncls);
        p->cls = nc;
        p->capcls = cap;
    }
    Node *n = node(p, N_CLASS);
    n->c = p->ncls;
    p->cls[p->ncls++] = r->n;
    for (int i = 0; i < r->n; i++) {
        p->cls[p->ncls++] = r->lo[i];
        p->cls[p->ncls++] = r->hi[i];
    }
    return n;
}

/* one character c as a node, folded under (?i) */
static Node *char_node(P *p, int c, int flags, const char *at)
{
    if (!(flags & F_CASELESS) || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
        if ((flags & F_CASELESS) && c >= 128)
            return fail(p, at, "(?i) with the non-ASCII character U+%s is not supported",
                        arena_printf(p->a, "%04X", (unsigned)c));
        Node *n = node(p, N_CHAR);
        n->c = c;
        return n;
    }
    Ranges r = {0};
    ranges_add(p, &r, c, c);
    ranges_caseless(p, &r);
    return class_node(p, &r);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* a character escape after '\' at p->s (\t \n \xhh \x{h..} \0oo ...):
   the code point, or -1 when it is not one */
static int char_escape(P *p, int in_class)
{
    char e = *p->s;
    const char *at = p->s - 1;
    switch (e) {
    case 't': p->s++; return 9;
    case 'n': p->s++; return 10;
    case 'r': p->s++; return 13;
    case 'f': p->s++; return 12;
    case 'e': p->s++; return 27;
    case 'a': p->s++; return 7;
    case 'b':
        if (!in_class)
            return -1;
        p->s++;
        return 8;
    case 'x': {
        int v = 0, k = 0;
        p->s++;
        if (*p->s == '{') {
            p->s++;
            while (hexval(*p->s) >= 0 && k < 7)
                v = v * 16 + hexval(*p->s++), k++;
            if (*p->s != '}' || k == 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
                fail(p, at, "\\x{...} is not a character", NULL);
                return -2;
            }
            p->s++;
            return v;
        }
        while (hexval(*p->s) >= 0 && k < 2)
            v = v * 16 + hexval(*p->s++), k++;
        return v;
    }
    case '0': {
        int v = 0, k = 0;
        p->s++;
        while (*p->s >= '0' && *p->s <= '7' && k < 2)
            v = v * 8 + (*p->s++ - '0'), k++;
        return v;
    }
    default:
        break;
    }
    if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '1' && e <= '9'))
        return -1;
    /* an escaped punctuation character (or any other) stands for itself */
    if ((unsigned char)e >= 0x80) {
        int c = utf8_next(&p->s, p->end);
        if (c < 0) {
            fail(p, at, "the pattern is not UTF-8", NULL);
            return -2;
        }
        return c;
    }
    if (!e) {
        fail(p, at, "the pattern ends with a lone backslash", NULL);
        return -2;
    }
    p->s++;
    return (unsigned char)e;
}

/* [...] */
static Node *parse_class(P *p, int flags)
{
    const char *at = p->s;
    Ranges r = {0}, types = {0}; /* characters (folded under (?i)); \d \w ... and POSIX classes (not folded) */
    int neg = 0, first = 1;
    p->s++;
    if (*p->s == '^') {
        neg = 1;
        p->s++;
    }
    for (;;) {
        const char *here = p->s;
        int lo;
        if (p->s >= p->end)
            return fail(p, at, "a class '[' without its ']'", NULL);
        if (*p->s == ']' && !first) {
            p->s++;
            break;
        }
        first = 0;
        if (p->s[0] == '[' && p->s[1] == ':') {
            static const struct { const char *name; const char *ranges; } posix[] = {
                {"alnum", "09AZaz"}, {"alpha", "AZaz"}, {"ascii", "\001\177"}, {"blank", "\t\t  "},
                {"cntrl", "\001\037\177\177"}, {"digit", "09"}, {"graph", "!~"}, {"lower", "az"},
                {"print", " ~"}, {"punct", "!/:@[`{~"}, {"space", "\t\r  "}, {"upper", "AZ"},
                {"word", "09AZ__az"}, {"xdigit", "09AFaf"},
            };
            const char *q = p->s + 2;
            int pneg = *q == '^';
            q += pneg;
            const char *e = strstr(q, ":]");
            size_t k;
            for (k = 0; e && k < sizeof posix / sizeof *posix; k++)
                if (strlen(posix[k].name) == (size_t)(e - q) && !strncmp(q, posix[k].name, (size_t)(e - q)))
                    break;
            if (!e || k == sizeof posix / sizeof *posix)
                return fail(p, here, "an unknown POSIX class", NULL);
            if ((flags & F_CASELESS) && (k == 7 || k == 11))
                return fail(p, here, "[:lower:] and [:upper:] under (?i) are not supported", NULL);
            Ranges t = {0};
            const char *rg = posix[k].ranges;
            if (k == 2) /* ascii: 0 to 127 */
                ranges_add(p, &t, 0, 127);
            else
                for (size_t j = 0; rg[j]; j += 2)
                    ranges_add(p, &t, (unsigned char)rg[j], (unsigned char)rg[j + 1]);
            if (pneg)
                ranges_negate(p, &t);
            for (int j = 0; j < t.n; j++)
                ranges_add(p, &types, t.lo[j], t.hi[j]);
            p->s = e + 2;
            continue;
        }
        if (*p->s == '[' && (p->s[1] == '.' || p->s[1] == '='))
            return fail(p, here, "POSIX collating elements are not supported", NULL);
        if (*p->s == '\\') {
            p->s++;
            if (class_escape(p, &types, *p->s)) {
                p->s++;
                continue;
            }
            lo = char_escape(p, 1);
            if (lo == -2)
                return NULL;
            if (lo < 0)
                return fail(p, here, "the escape \\%s is not supported in a class",
                            arena_strndup(p->a, p->s, 1));
        } else {
            lo = utf8_next(&p->s, p->end);
            if (lo < 0)
                return fail(p, here, "the pattern is not UTF-8", NULL);
        }
        int hi = lo;
        if (p->s[0] == '-' && p->s[1] != ']' && p->s[1]) {
            const char *rat = p->s;
            p->s++;
            if (*p->s == '\\') {
                p->s++;
                if (strchr("dDwWsShHvV", *p->s) && *p->s)
                    return fail(p, rat, "a range that ends in a class escape", NULL);
                hi = char_escape(p, 1);
                if (hi == -2)
                    return NULL;
                if (hi < 0)
                    return fail(p, rat, "a range that ends in an unsupported escape", NULL);
            } else if (p->s[0] == '[' && p->s[1] == ':')
                return fail(p, rat, "a range that ends in a POSIX class", NULL);
            else {
                hi = utf8_next(&p->s, p->end);
                if (hi < 0)
                    return fail(p, rat, "the pattern is not UTF-8", NULL);
            }
            if (hi < lo)
                return fail(p, rat, "a range out of order", NULL);
        }
        if ((flags & F_CASELESS) && hi >= 128 && (lo >= 128 || hi >= 0x17f))
            return fail(p, here, "(?i) with non-ASCII characters in a class is not supported", NULL);
        ranges_add(p, &r, lo, hi);
    }
    if (flags & F_CASELESS)
        ranges_caseless(p, &r);
    for (int j = 0; j < types.n; j++)
        ranges_add(p, &r, types.lo[j], types.hi[j]);
    if (neg)
        ranges_negate(p, &r);
    if (r.n == 0)
        return fail(p, at, "a class that matches nothing", NULL);
    return class_node(p, &r);
}

static Node *parse_alt(P *p, int flags);

static Node *cat(P *p, Node *x, Node *y)
{
    if (!x)
        return y;
    Node *n = node(p, N_CAT);
    n->a = x;
    n->b = y;
    return n;
}

/* (?flags) or (?flags: ...); *flags changed for the rest of the group */
static int parse_flags(P *p, int *flags, const char *at)
{
    int on = 1;
    for (; *p->s && *p->s != ')' && *p->s != ':'; p->s++) {
        int f = *p->s == 'i' ? F_CASELESS : *p->s == 'm' ? F_MULTILINE : *p->s == 's' ? F_DOTALL : 0;
        if (*p->s == '-' && on) {
            on = 0;
            continue;
        }
        if (!f) {
            fail(p, at, "the option (?%s) is not supported (only i, m, s)", arena_strndup(p->a, p->s, 1));
            return 0;
        }
        *flags = on ? *flags | f : *flags & ~f;
    }
    if (!*p->s) {
        fail(p, at, "a group '(' without its ')'", NULL);
        return 0;
    }
    return 1;
}

static Node *parse_atom(P *p, int *flags)
{
    const char *at = p->s;
    char c = *p->s;
    switch (c) {
    case '(': {
        int gflags = *flags, group = 0;
        p->s++;
        if (++p->depth > RE_MAX_DEPTH)
            return fail(p, at, "groups nested deeper than 100", NULL);
        if (*p->s == '?') {
            p->s++;
            if (*p->s == ':')
                p->s++;
            else if (*p->s == '#') {
                while (*p->s && *p->s != ')')
                    p->s++;
                if (!*p->s)
                    return fail(p, at, "a comment '(?#' without its ')'", NULL);
                p->s++;
                p->depth--;
                return node(p, N_EMPTY);
            } else if ((*p->s == '<' || *p->s == 'P' || *p->s == '\'') && p->s[1] != '=' && p->s[1] != '!') {
                /* a named group: a numbered one whose name nerva does not keep */
                char close = *p->s == '\'' ? '\'' : '>';
                p->s += *p->s == 'P' ? 1 : 0;
                if (*p->s != '<' && *p->s != '\'')
                    return fail(p, at, "(?P%s...) is not supported", arena_strndup(p->a, p->s, 1));
                p->s++;
                while (*p->s && *p->s != close)
                    p->s++;
                if (!*p->s)
                    return fail(p, at, "a group name without its end", NULL);
                p->s++;
                group = ++p->ngroups;
            } else if (strchr("=!<>|&R+(0123456789-", *p->s) && *p->s != '-')
                return fail(p, at, "(?%s...) (lookaround, atomic groups, recursion, conditions, branch reset) "
                            "is not supported", arena_strndup(p->a, p->s, 1));
            else {
                if (!parse_flags(p, &gflags, at))
                    return NULL;
                if (*p->s == ')') {
                    /* (?i): the rest of the enclosing group */
                    p->s++;
                    p->depth--;
                    *flags = gflags;
                    return node(p, N_EMPTY);
                }
                p->s++; /* ':' */
            }
        } else
            group = ++p->ngroups;
        Node *inner = parse_alt(p, gflags);
        if (!inner)
            return NULL;
        if (*p->s != ')')
            return fail(p, at, "a group '(' without its ')'", NULL);
        p->s++;
        p->depth--;
        Node *n = node(p, N_GROUP);
        n->a = inner;
        n->group = group;
        return n;
    }
    case '[':
        return parse_class(p, *flags);
    case '.': {
        p->s++;
        Node *n = node(p, N_ANY);
        n->c = (*flags & F_DOTALL) != 0;
        return n;
    }
    case '^':
    case '$': {
        p->s++;
        Node *n = node(p, N_ASSERT);
        n->c = c == '^' ? ((*flags & F_MULTILINE) ? RE_MBOL : RE_BOL) : ((*flags & F_MULTILINE) ? RE_MEOL : RE_EOL);
        return n;
    }
    case '*':
    case '+':
    case '?':
        return fail(p, at, "a quantifier '%s' that follows nothing it can repeat", arena_strndup(p->a, p->s, 1));
    case '{':
        return fail(p, at, "a '{' that is not a quantifier (write \\{ for the character)", NULL);
    case '\\': {
        p->s++;
        char e = *p->s;
        if (e == 'Q') {
            /* \Q...\E: literal text */
            Node *seq = NULL;
            p->s++;
            while (p->s < p->end && !(p->s[0] == '\\' && p->s[1] == 'E')) {
                const char *q = p->s;
                int ch = utf8_next(&p->s, p->end);
                if (ch < 0)
                    return fail(p, q, "the pattern is not UTF-8", NULL);
                Node *x = char_node(p, ch, *flags, q);
                if (!x)
                    return NULL;
                seq = cat(p, seq, x);
            }
            if (p->s < p->end)
                p->s += 2;
            return seq ? seq : node(p, N_EMPTY);
        }
        if (e == 'b' || e == 'B' || e == 'A' || e == 'z' || e == 'Z') {
            p->s++;
            Node *n = node(p, N_ASSERT);
            n->c = e == 'b' ? RE_WORDB : e == 'B' ? RE_NWORDB : e == 'A' ? RE_BEGIN : e == 'z' ? RE_END : RE_EOL;
            return n;
        }
        if (e == 'N' && p->s[1] != '{') {
            p->s++;
            return node(p, N_ANY);
        }
        Ranges r = {0};
        if (class_escape(p, &r, e)) {
            p->s++;
            return class_node(p, &r);
        }
        int ch = char_escape(p, 0);
        if (ch == -2)
            return NULL;
        if (ch < 0)
            return fail(p, at, "the escape \\%s is not supported (back references, \\p, \\R, \\X, \\G, \\K, ... "
                        "have no exact meaning here)", arena_strndup(p->a, p->s, 1));
        return char_node(p, ch, *flags, at);
    }
    default: {
        int ch = utf8_next(&p->s, p->end);
        if (ch < 0)
            return fail(p, at, "the pattern is not UTF-8", NULL);
        return char_node(p, ch, *flags, at);
    }
    }
}

/* whether n can match the empty string */
static int nullable(const Node *n)
{
    switch (n->k) {
    case N_EMPTY:
    case N_ASSERT:
        return 1;
    case N_CAT:
        return nullable(n->a) && nullable(n->b);
    case N_ALT:
        return nullable(n->a) || nullable(n->b);
    case N_REP:
        return n->min == 0 || nullable(n->a);
    case N_GROUP:
        return nullable(n->a);
    default:
        return 0;
    }
}

/* {n}, {n,}, {n,m} at p->s; 0 when it is not one */
static int parse_braces(P *p, int *min, int *max)
{
    const char *q = p->s + 1;
    long a = 0, b;
    if (*q < '0' || *q > '9')
        return 0;
    while (*q >= '0' && *q <= '9' && a <= nv_limits.regex_repeat)
        a = a * 10 + (*q++ - '0');
    b = a;
    if (*q == ',') {
        q++;
        if (*q == '}')
            b = -1;
        else {
            if (*q < '0' || *q > '9')
                return 0;
            for (b = 0; *q >= '0' && *q <= '9' && b <= nv_limits.regex_repeat; q++)
                b = b * 10 + (*q - '0');
        }
    }
    if (*q != '}')
        return 0;
    *min = (int)a;
    *max = (int)b;
    p->s = q + 1;
    return 1;
}

static Node *parse_seq(P *p, int *flags)
{
    Node *seq = NULL;
    while (p->s < p->end && *p->s != '|' && *p->s != ')') {
        Node *x = parse_atom(p, flags);
        if (!x)
            return NULL;
        for (;;) {
            const char *at = p->s;
            int min, max;
            if (*p->s == '*')
                min = 0, max = -1, p->s++;
            else if (*p->s == '+')
                min = 1, max = -1, p->s++;
            else if (*p->s == '?')
                min = 0, max = 1, p->s++;
            else if (*p->s == '{') {
                if (!parse_braces(p, &min, &max))
                    return fail(p, at, "a '{' that is not a quantifier (write \\{ for the character)", NULL);
                if (min > nv_limits.regex_repeat || max > nv_limits.regex_repeat)
                    return fail(p, at, "a repetition count above %s", arena_printf(p->a, "%ld%s", nv_limits.regex_repeat,
                                limits_hint("regex-repeat")));
                if (max >= 0 && max < min)
                    return fail(p, at, "a repetition {n,m} with m < n", NULL);
            } else
                break;
            if (x->k == N_ASSERT || x->k == N_EMPTY)
                return fail(p, at, "a quantifier of an assertion or of nothing", NULL);
            if (x->k == N_REP)
                return fail(p, at, "a quantifier of a quantifier (possessive or nested without a group)", NULL);
            if (max < 0 && nullable(x))
                /* PCRE ends a loop at an iteration that matches nothing, a
                   rule of backtracking the matcher does not follow */
                return fail(p, at, "an unbounded repetition of something that can match nothing (as (a?)*) is "
                            "not supported", NULL);
            Node *r = node(p, N_REP);
            r->a = x;
            r->min = min;
            r->max = max;
            r->greedy = 1;
            if (*p->s == '?') {
                r->greedy = 0;
                p->s++;
            } else if (*p->s == '+')
                return fail(p, p->s, "possessive quantifiers are not supported", NULL);
            x = r;
        }
        seq = cat(p, seq, x);
    }
    return seq ? seq : node(p, N_EMPTY);
}

static Node *parse_alt(P *p, int flags)
{
    Node *x = parse_seq(p, &flags);
    while (x && *p->s == '|') {
        p->s++;
        Node *y = parse_seq(p, &flags);
        if (!y)
            return NULL;
        Node *n = node(p, N_ALT);
        n->a = x;
        n->b = y;
        x = n;
    }
    return x;
}

/* ---- code ---- */
typedef struct Code {
    Arena *a;
    int *v;      /* 3 ints per instruction */
    int n, cap;  /* instructions */
    int limit;
    int over;
} Code;

static int emit(Code *c, int op, int x, int y)
{
    if (c->n >= c->limit) {
        c->over = 1;
        return c->n;
    }
    if (c->n == c->cap) {
        int cap = c->cap ? 2 * c->cap : 64;
        int *nv = ARENA_ARRAY(c->a, int, 3 * cap);
        if (c->n)
            memcpy(nv, c->v, sizeof *nv * 3 * (size_t)c->n);
        c->v = nv;
        c->cap = cap;
    }
    c->v[3 * c->n] = op;
    c->v[3 * c->n + 1] = x;
    c->v[3 * c->n + 2] = y;
    return c->n++;
}

static void patch(Code *c, int at, int field, int to)
{
    if (!c->over)
        c->v[3 * at + field] = to;
}

static void gen(Code *c, const Node *n)
{
    if (c->over)
        return;
    switch (n->k) {
    case N_EMPTY:
        return;
    case N_CHAR:
        emit(c, RE_CHAR, n->c, 0);
        return;
    case N_ANY:
        emit(c, n->c ? RE_ANYNL : RE_ANY, 0, 0);
        return;
    case N_CLASS:
        emit(c, RE_CLASS, n->c, 0);
        return;
    case N_ASSERT:
        emit(c, n->c, 0, 0);
        return;
    case N_CAT:
        gen(c, n->a);
        gen(c, n->b);
        return;
    case N_ALT: {
        int split = emit(c, RE_SPLIT, 0, 0);
        patch(c, split, 1, c->n);
        gen(c, n->a);
        int jmp = emit(c, RE_JMP, 0, 0);
        patch(c, split, 2, c->n);
        gen(c, n->b);
        patch(c, jmp, 1, c->n);
        return;
    }
    case N_GROUP:
        if (n->group)
            emit(c, RE_SAVE, 2 * n->group, 0);
        gen(c, n->a);
        if (n->group)
            emit(c, RE_SAVE, 2 * n->group + 1, 0);
        return;
    case N_REP: {
        for (int i = 0; i < n->min && !c->over; i++)
            gen(c, n->a);
        if (n->max < 0) {
            /* L: split body, out; body; jmp L */
            int split = emit(c, RE_SPLIT, 0, 0);
            gen(c, n->a);
            emit(c, RE_JMP, split, 0);
            patch(c, split, n->greedy ? 1 : 2, split + 1);
            patch(c, split, n->greedy ? 2 : 1, c->n);
            return;
        }
        /* up to max - min more, nested: (x(x(x)?)?)? */
        int opt = n->max - n->min, *splits = ARENA_ARRAY(c->a, int, opt + 1);
        for (int i = 0; i < opt && !c->over; i++) {
            splits[i] = emit(c, RE_SPLIT, 0, 0);
            patch(c, splits[i], n->greedy ? 1 : 2, splits[i] + 1);
            gen(c, n->a);
        }
        for (int i = 0; i < opt && !c->over; i++)
            patch(c, splits[i], n->greedy ? 2 : 1, c->n);
        return;
    }
    }
}

IrRegex *ir_regex(Arena *a, const char *pattern, int caseless, int literal, char *err, size_t errlen)
{
    size_t len = strlen(pattern);
    if (len > (size_t)nv_limits.regex_bytes) {
        snprintf(err, errlen, "a pattern of %zu bytes (more than %ld)%s", len, nv_limits.regex_bytes,
                 limits_hint("regex-bytes"));
        return NULL;
    }
    P p = {.a = a, .src = pattern, .s = pattern, .end = pattern + len, .err = err, .errlen = errlen};
    Node *root;
    if (literal) {
        /* Pattern.quote: the text itself, character by character */
        root = NULL;
        while (p.s < p.end && !p.failed) {
            const char *q = p.s;
            int ch = utf8_next(&p.s, p.end);
            if (ch < 0) {
                fail(&p, q, "the text is not UTF-8", NULL);
                break;
            }
            root = cat(&p, root, char_node(&p, ch, caseless ? F_CASELESS : 0, q));
        }
        if (!root && !p.failed)
            root = node(&p, N_EMPTY);
    } else {
        root = parse_alt(&p, caseless ? F_CASELESS : 0);
        if (root && p.s < p.end)
            root = fail(&p, p.s, "a ')' without its '('", NULL);
    }
    if (!root || p.failed)
        return NULL;
    if (p.ngroups > IR_RE_MAX_GROUPS) {
        snprintf(err, errlen, "a pattern of %d groups (more than %d) is not supported", p.ngroups, IR_RE_MAX_GROUPS);
        return NULL;
    }
    Code c = {.a = a, .limit = (int)nv_limits.regex_program};
    emit(&c, RE_SAVE, 0, 0);
    gen(&c, root);
    emit(&c, RE_SAVE, 1, 0);
    emit(&c, RE_MATCH, 0, 0);
    if (c.over) {
        snprintf(err, errlen, "the pattern compiles to more than %ld instructions (repetition counts multiply its "
                 "size)%s", nv_limits.regex_program, limits_hint("regex-program"));
        return NULL;
    }
    IrRegex *re = ARENA_NEW(a, IrRegex);
    re->src = arena_strdup(a, pattern);
    re->prog = c.v;
    re->ninst = c.n;
    re->cls = p.cls;
    re->ncls = p.ncls;
    re->ngroups = p.ngroups;
    re->caseless = caseless;
    re->literal = literal;
    return re;
}
