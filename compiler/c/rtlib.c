/* The one mechanism by which generated units carry run-time code.
 *
 * Every line of C that a unit needs beyond what the backend writes for the
 * model comes from the real, unit-tested C files of runtime/lib/, which
 * nerva embeds (tools/embed.py).  Each file is cut into sections by marker
 * comments, "@ section NAME [needs DEP ...]" (runtime/lib/base.c says more).
 * A backend says which sections it needs, or which library functions it
 * calls; rt_emit then copies the needed sections and their dependencies in
 * library order, and of their functions only those that the unit or another
 * kept part names: a function is a line beginning "NV_RT " through the next
 * lone "}" (or the same line, for one-line functions), with the comment
 * just above it; everything else of a needed section (includes, macros,
 * types) is kept.  C keeps us honest: a function pruned by mistake is a
 * compile error of the generated unit, which the tests build.
 *
 * Both backends (emit_program.c for PMML, emit_engine.c for PFA) use it,
 * so a kernel that both languages need is written once. */
#include "rtlib.h"
#include "c_text.h"
#include "toolchain.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* in the order of runtime/lib/lib.c: a section's dependencies come first */
static const char *const lib_files[] = {"nerva_model.h", "base.c", "kernels.c", "special.c", "linalg.c", "models.c",
                                        "text.c", "datetime.c", "format.c", "regex.c", "textindex.c", "state.c",
                                        "trees.c", "families.c", "pfa_rt.c", "pfa_lib.c", "pfa_coll.c", "pfa_la.c",
                                        "pfa_prob.c", "pfa_stat.c", "pfa_model.c", "pfa_rand.c"};

typedef struct Section {
    const char *name;
    const char *file;
    const char *text;
    size_t len;
    const char **deps;
    int ndeps;
    const char **fns;        /* the NV_RT functions it defines */
    int nfns;
} Section;

struct RtLib {
    Arena *a;
    Section *secs;
    int nsecs, cap;
    unsigned char *need;
};

static int ident_start(char c) { return c == '_' || isalpha((unsigned char)c); }
static int ident_char(char c) { return c == '_' || isalnum((unsigned char)c); }

/* the name of the function declared on the line at q ("NV_RT ... name(") */
static const char *fn_name(Arena *a, const char *q, const char *eol)
{
    const char *paren = memchr(q, '(', (size_t)(eol - q));
    if (!paren)
        return NULL;
    const char *ne = paren;
    while (ne > q && !ident_char(ne[-1]))
        ne--;
    const char *nb = ne;
    while (nb > q && ident_char(nb[-1]))
        nb--;
    return nb < ne ? arena_strndup(a, nb, (size_t)(ne - nb)) : NULL;
}

static void load_file(RtLib *L, const char *file)
{
    const char *text = tc_embedded(file);
    NV_ASSERT(text);
    const char *mark = "/*@ section ";
    const char *p = strstr(text, mark);
    while (p) {
        Section s = {.file = file};
        const char *eol = strchr(p, '\n');
        NV_ASSERT(eol);
        const char *next = strstr(eol, mark);
        /* the rest of the marker: NAME [needs DEP ...], then the comment end */
        const char *q = p + strlen(mark);
        int cap = 0, in_needs = 0;
        while (q < eol) {
            while (q < eol && (*q == ' ' || *q == '*' || *q == '/'))
                q++;
            const char *b = q;
            while (q < eol && *q != ' ' && *q != '*')
                q++;
            if (q == b)
                break;
            const char *w = arena_strndup(L->a, b, (size_t)(q - b));
            if (!s.name)
                s.name = w;
            else if (!strcmp(w, "needs"))
                in_needs = 1;
            else if (in_needs)
                VEC_PUSH(L->a, s.deps, s.ndeps, cap, w);
        }
        NV_ASSERT(s.name);
        s.text = eol + 1;
        s.len = next ? (size_t)(next - s.text) : strlen(s.text);
        cap = 0;
        const char *end = s.text + s.len;
        for (const char *l = s.text; l < end;) {
            const char *le = memchr(l, '\n', (size_t)(end - l));
            le = le ? le : end;
            if (!strncmp(l, "NV_RT ", 6)) {
                const char *name = fn_name(L->a, l, le);
                if (name)
                    VEC_PUSH(L->a, s.fns, s.nfns, cap, name);
            }
            l = le + 1;
        }
        /* a section is found by its name: two of one name would be a
           library bug that prunes the wrong one */
        for (int i = 0; i < L->nsecs; i++)
            NV_ASSERT(strcmp(L->secs[i].name, s.name) != 0);
        VEC_PUSH(L->a, L->secs, L->nsecs, L->cap, s);
        p = next;
    }
}

RtLib *rt_load(Arena *a)
{
    RtLib *L = ARENA_NEW(a, RtLib);
    L->a = a;
    for (size_t f = 0; f < sizeof lib_files / sizeof lib_files[0]; f++)
        load_file(L, lib_files[f]);
    /* sections are found by name: two of one name would hide the second */
    for (int i = 0; i < L->nsecs; i++)
        for (int j = 0; j < i; j++)
            if (!strcmp(L->secs[i].name, L->secs[j].name))
                die_internal(__FILE__, __LINE__, "two run-time library sections have one name");
    L->need = arena_alloc(a, (size_t)L->nsecs + 1);
    return L;
}

static int find(const RtLib *L, const char *name)
{
    for (int i = 0; i < L->nsecs; i++)
        if (!strcmp(L->secs[i].name, name))
            return i;
    die_internal(__FILE__, __LINE__, "unknown run-time library section");
}

void rt_need(RtLib *L, const char *name)
{
    int i = find(L, name);
    if (L->need[i])
        return;
    L->need[i] = 1;
    for (int k = 0; k < L->secs[i].ndeps; k++)
        rt_need(L, L->secs[i].deps[k]);
}

const char *rt_function(RtLib *L, const char *fn)
{
    for (int i = 0; i < L->nsecs; i++)
        for (int k = 0; k < L->secs[i].nfns; k++)
            if (!strcmp(L->secs[i].fns[k], fn)) {
                rt_need(L, L->secs[i].name);
                return L->secs[i].fns[k];
            }
    return NULL;
}

const char *rt_section(RtLib *L, const char *name)
{
    const Section *s = &L->secs[find(L, name)];
    return arena_strndup(L->a, s->text, s->len);
}

/* ---- pruning ---- */
typedef struct Item {
    const char *b, *e;       /* its text */
    const char *name;        /* NULL: not a function (always kept) */
    const char *sig;         /* a function: where "NV_RT ..." starts */
    int next;                /* the next item of the same name (prototypes), or -1 */
    unsigned char keep, proto;
} Item;

typedef struct Items {
    Item *v;
    int n, cap;
    int *slot;               /* hash of function names: first item, or -1 */
    unsigned nslot;
    int *stack;
    int nstack;
} Items;

static unsigned hash(const char *s, size_t n)
{
    unsigned h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

/* the first item named s[0..n), or -1 */
static int *lookup(Items *it, const char *s, size_t n)
{
    for (unsigned h = hash(s, n) & (it->nslot - 1);; h = (h + 1) & (it->nslot - 1)) {
        int i = it->slot[h];
        if (i < 0 || (strlen(it->v[i].name) == n && !memcmp(it->v[i].name, s, n)))
            return &it->slot[h];
    }
}

/* cut the text of the needed sections into items: plain text and functions
   (each with the comment block just above it) */
static void split(Arena *a, const char *rt, Items *it)
{
    const char *q = rt, *plain = rt;
    while (*q) {
        const char *eol = strchr(q, '\n');
        eol = eol ? eol + 1 : q + strlen(q);
        if (strncmp(q, "NV_RT ", 6) != 0) {
            q = eol;
            continue;
        }
        /* the comment that ends on the line above, from the line it opens on */
        const char *start = q;
        while (start > plain) {
            const char *pe = start - 1; /* the '\n' ending the line above */
            while (pe > plain && pe[-1] == ' ')
                pe--;
            if (pe - plain < 2 || pe[-1] != '/' || pe[-2] != '*')
                break;
            const char *open = pe - 2;
            while (open > plain && !(open[0] == '/' && open[1] == '*'))
                open--;
            if (!(open[0] == '/' && open[1] == '*'))
                break;
            const char *bol = open;
            while (bol > plain && bol[-1] != '\n')
                bol--;
            if (bol != open)
                break; /* code before the comment on its line */
            start = bol;
        }
        const char *end = eol;
        const char *paren = memchr(q, '(', (size_t)(eol - q));
        int proto = paren && eol - q >= 2 && eol[-2] == ';';
        int oneline = eol - q >= 2 && eol[-2] == '}';
        if (!proto && !oneline) {
            while (*end && strncmp(end, "}\n", 2) != 0) {
                const char *x = strchr(end, '\n');
                end = x ? x + 1 : end + strlen(end);
            }
            if (*end)
                end += 2;
        }
        VEC_PUSH(a, it->v, it->n, it->cap, ((Item){.b = plain, .e = start, .next = -1}));
        VEC_PUSH(a, it->v, it->n, it->cap,
                 ((Item){.b = start, .e = end, .name = fn_name(a, q, eol), .sig = q, .next = -1,
                         .proto = (unsigned char)proto}));
        plain = q = end;
    }
    VEC_PUSH(a, it->v, it->n, it->cap, ((Item){.b = plain, .e = plain + strlen(plain), .next = -1}));
    it->nslot = 16;
    while (it->nslot < (unsigned)it->n * 2)
        it->nslot *= 2;
    it->slot = ARENA_ARRAY(a, int, it->nslot);
    for (unsigned h = 0; h < it->nslot; h++)
        it->slot[h] = -1;
    for (int i = it->n - 1; i >= 0; i--) {
        if (!it->v[i].name)
            continue;
        int *s = lookup(it, it->v[i].name, strlen(it->v[i].name));
        it->v[i].next = *s;
        *s = i;
    }
    it->stack = ARENA_ARRAY(a, int, it->n + 1);
}

/* every identifier in [b, e) outside comments and literals keeps the
   functions of that name */
static void mark(Items *it, const char *b, const char *e)
{
    for (const char *q = b; q < e;) {
        if (q[0] == '/' && q + 1 < e && q[1] == '*') {
            q = c_comment_end(q + 2, e);
        } else if (*q == '"' || *q == '\'') {
            char d = *q++;
            while (q < e && *q != d)
                q += *q == '\\' ? 2 : 1;
            q++;
        } else if (ident_start(*q) && (q == b || !ident_char(q[-1]))) {
            const char *s0 = q;
            while (q < e && ident_char(*q))
                q++;
            for (int i = *lookup(it, s0, (size_t)(q - s0)); i >= 0; i = it->v[i].next)
                if (!it->v[i].keep) {
                    it->v[i].keep = 1;
                    it->stack[it->nstack++] = i;
                }
        } else
            q++;
    }
}

/* the needed sections' text, each headed by its name */
static char *needed_text(RtLib *L, StrBuf *all)
{
    sb_init(all);
    for (int i = 0; i < L->nsecs; i++)
        if (L->need[i]) {
            sb_printf(all, "/* section %s (runtime/lib/%s) */\n", L->secs[i].name, L->secs[i].file);
            sb_putn(all, L->secs[i].text, L->secs[i].len);
        }
    return all->data ? all->data : (char *)"";
}

void rt_emit(RtLib *L, const char *uses, StrBuf *out)
{
    StrBuf all;
    const char *rt = needed_text(L, &all);
    Arena a;
    arena_init(&a);
    Items it = {0};
    split(&a, rt, &it);
    mark(&it, uses, uses + strlen(uses));
    for (int i = 0; i < it.n; i++)
        if (!it.v[i].name)
            mark(&it, it.v[i].b, it.v[i].e);
    while (it.nstack) {
        const Item *x = &it.v[it.stack[--it.nstack]];
        mark(&it, x->b, x->e);
    }
    for (int i = 0; i < it.n; i++)
        if (!it.v[i].name || it.v[i].keep)
            sb_putn(out, it.v[i].b, (size_t)(it.v[i].e - it.v[i].b));
    arena_free(&a);
    sb_free(&all);
}

void rt_emit_shared(RtLib *L, const char *const *files, StrBuf *c, StrBuf *h)
{
    for (int i = 0; i < L->nsecs; i++)
        for (const char *const *f = files; *f; f++)
            if (!strcmp(L->secs[i].file, *f))
                rt_need(L, L->secs[i].name);
    StrBuf all;
    const char *rt = needed_text(L, &all);
    Arena a;
    arena_init(&a);
    Items it = {0};
    split(&a, rt, &it);
    for (int i = 0; i < it.n; i++) {
        const Item *x = &it.v[i];
        if (!x->name) {
            sb_putn(h, x->b, (size_t)(x->e - x->b));
            continue;
        }
        if (x->proto)
            continue;
        /* the declaration: its first lines up to the body */
        const char *body = strstr(x->sig, "\n{");
        const char *brace = strstr(x->sig, " {");
        const char *stop = body && body < x->e ? body : brace;
        sb_putn(h, x->sig, (size_t)(stop - x->sig));
        sb_puts(h, ";\n");
        sb_putn(c, x->b, (size_t)(x->e - x->b));
    }
    arena_free(&a);
    sb_free(&all);
}
