/* PMML files come from anywhere -- other tools, other teams, downloads -- and
 * nerva must read them without trusting them: no network or file access
 * through entities, no entity-expansion bombs, no stack overflow on absurd
 * nesting, and every complaint pinned to file:line.  This file is the only
 * place that knows about libxml2; the rest of the compiler sees a plain,
 * namespace-free element tree that lives in the compilation arena. */
#include "read_pmml.h"
#include "bounds.h"

#include <limits.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>


/* An element whose end tag is still to come. */
typedef struct Open {
    XElem *e;
    size_t kids_from;   /* where its children start on the kid stack */
    size_t text_from;   /* where its text starts on the text stack */
    int run_type;       /* the kind of text node a DOM would be appending to
                           (XML_TEXT_NODE, XML_CDATA_SECTION_NODE, or 0) */
    size_t run_len;     /* and that node's length so far */
    /* What libxml2's whitespace heuristic (areBlanks, used for
     * XML_PARSE_NOBLANKS) looks at: the current element's name and whether
     * its first and last children are text.  There is no DOM, so this
     * stand-in is what ctxt->node points at while the element is open, its
     * children pointers aimed at one of the placeholder nodes below. */
    xmlNode shadow;
} Open;

/* What a shadow's children and last point at: libxml2 only asks whether a
   child exists and whether it is a text node. */
static xmlNode text_child = {.type = XML_TEXT_NODE};
static xmlNode cdata_child = {.type = XML_CDATA_SECTION_NODE};
static xmlNode other_child = {.type = XML_ELEMENT_NODE};

/* What one read_pmml call needs inside libxml2's callbacks. */
typedef struct ReadState {
    Diags *d;
    Arena *a;           /* strings: names, attribute values, text */
    Arena *tree;        /* the rest of the element tree */
    /* columns are counted forward through the document as tags arrive:
       the byte scanned up to, and the start of its line */
    const unsigned char *scanned, *line_start;
    const char *file;
    xmlParserCtxtPtr ctxt;
    int max_depth;
    long max_elements;
    long elements;
    int failed;         /* one error per document: the first is the cause,
                           whatever libxml2 says afterwards is fallout */

    XElem *root;
    /* the open elements, and two stacks shared by them (malloc'd, freed at
       the end): each element's children and text pile up above its
       parent's and are copied out, sized exactly, at its end tag */
    Open *open;
    int nopen;
    size_t cap_open;
    XElem **kids;
    size_t nkids, cap_kids;
    char *text;
    size_t ntext, cap_text;
    /* small pieces are carved from 64 KiB blocks of the arenas, without
       the arena's 16-byte rounding: a big model is millions of them */
    unsigned char *str_at, *str_end, *obj_at, *obj_end;
    /* A model repeats a few dozen names hundreds of thousands of times and
     * libxml2 interns them, so one arena copy per distinct pointer saves
     * much of the tree's memory.  Direct-mapped: a collision only costs a
     * fresh copy. */
    struct { const xmlChar *key; const char *copy; } names[512];
    /* Short attribute values repeat too (field names, operators): the same
     * by content. */
    struct { const char *copy; size_t len; } values[4096];
    NameIndex ids;      /* the values of ID attributes so far */
} ReadState;

static void fail_at(ReadState *st, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Report the document's first error; later ones are dropped.  (After a
   syntax error, what libxml2 says is fallout; the limits stop the parse.) */
static void fail_at(ReadState *st, int line, int col, const char *fmt, ...)
{
    if (st->failed)
        return;
    st->failed = 1;
    Loc loc = {st->file, line, col, NULL};
    va_list ap;
    va_start(ap, fmt);
    st->d->errors++;
    diag_verror(st->d, loc, "error", fmt, ap);
    va_end(ap);
}

/* From SAX callbacks only: libxml2 expects xmlStopParser there, while from
 * its error path it halts on its own. */
static void stop(ReadState *st)
{
    if (st->ctxt)
        xmlStopParser(st->ctxt);
}

static int current_line(const ReadState *st)
{
    return st->ctxt && st->ctxt->input ? st->ctxt->input->line : 0;
}

/* libxml2 must never print; its complaints become our diagnostics. */
static void on_xml_error(void *ud, xmlErrorPtr err)
{
    ReadState *st = ud;
    if (!err || err->level < XML_ERR_ERROR)
        return;
    /* Namespace problems (an undeclared prefix, an odd URI) do not matter:
     * nerva reads local names only. */
    if (err->domain == XML_FROM_NAMESPACE)
        return;
    /* one line per diagnostic: libxml2 sometimes appends a second line */
    char msg[300];
    snprintf(msg, sizeof msg, "%s",
             err->message ? err->message : "unknown error");
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = 0;
    for (char *c = msg; *c; c++)
        if (*c == '\n')
            *c = ' ';
    fail_at(st, err->line > 0 ? err->line : current_line(st), err->line > 0 ? err->int2 : 0,
            "malformed XML: %s", msg);
}

static void on_generic_error(void *ud, const char *fmt, ...)
{
    (void)ud;
    (void)fmt;
}

/* libxml2's entity loader is a process-wide hook with no user data, so
 * the call in progress is found here.  Set only while parsing. */
static ReadState *loading;

/* PMML has no use for external resources; nothing may be fetched. */
static xmlParserInputPtr refuse_entity(const char *url, const char *id,
                                       xmlParserCtxtPtr ctxt)
{
    (void)id;
    (void)ctxt;
    if (loading)
        fail_at(loading, current_line(loading), 0,
             "external entity '%s' is not allowed", url ? url : "?");
    return NULL;
}

/* Entity declarations are where XXE and expansion bombs live, and PMML
 * never needs them, so the first one stops the parse before any reference
 * to it can be expanded. */
static void on_entity_decl(void *ud, const xmlChar *name, int type,
                           const xmlChar *public_id, const xmlChar *system_id,
                           xmlChar *content)
{
    (void)public_id;
    (void)content;
    xmlParserCtxtPtr ctxt = ud;
    ReadState *st = ctxt->_private;
    if (system_id || type == XML_EXTERNAL_GENERAL_PARSED_ENTITY ||
        type == XML_EXTERNAL_GENERAL_UNPARSED_ENTITY ||
        type == XML_EXTERNAL_PARAMETER_ENTITY)
        fail_at(st, current_line(st), 0, "external entity '%s' is not allowed",
             (const char *)name);
    else
        fail_at(st, current_line(st), 0,
             "DTDs and entity declarations are not allowed in PMML "
             "(entity '%s')", (const char *)name);
    stop(st);
}

/* A reference libxml2 did not resolve itself (to an undeclared entity, when
 * a DOCTYPE names an external subset it does not load): its text is
 * unknown, and a value with a hole in it is not the model's. */
static void on_reference(void *ud, const xmlChar *name)
{
    xmlParserCtxtPtr ctxt = ud;
    ReadState *st = ctxt->_private;
    fail_at(st, current_line(st), 0, "entity reference '&%s;' is not allowed", (const char *)name);
    stop(st);
}

/* What xmlCtxtReadMemory does, except that the caller's bytes are freed
   (when `owned`) as soon as libxml2 has its copy: a big model is not held
   twice while it is parsed. */
static xmlDocPtr read_copy(xmlParserCtxtPtr ctxt, const char *data, int len, char *owned, const char *file,
                           int opts)
{
    xmlCtxtReset(ctxt);
    xmlParserInputBufferPtr buf = xmlParserInputBufferCreateMem(data, len, XML_CHAR_ENCODING_NONE);
    free(owned);
    if (!buf)
        return NULL;
    xmlParserInputPtr in = xmlNewIOInputStream(ctxt, buf, XML_CHAR_ENCODING_NONE);
    if (!in) {
        xmlFreeParserInputBuffer(buf);
        return NULL;
    }
    inputPush(ctxt, in);
    xmlCtxtUseOptions(ctxt, opts);
    if (!ctxt->input->filename)
        ctxt->input->filename = (char *)xmlStrdup((const xmlChar *)file);
    xmlParseDocument(ctxt);
    xmlDocPtr doc = ctxt->myDoc;
    ctxt->myDoc = NULL;
    if (!ctxt->wellFormed && doc) {
        xmlFreeDoc(doc);
        doc = NULL;
    }
    return doc;
}

/* ---- memory ---- */

static void *grow(void *p, size_t elem, size_t *cap, size_t need)
{
    if (need <= *cap)
        return p;
    size_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    void *q = realloc(p, n * elem);
    if (!q) {
        fprintf(stderr, "nerva: out of memory\n");
        exit(3);
    }
    *cap = n;
    return q;
}

/* n bytes aligned to `align` (a power of two) from the block [*at, *end) of
   arena a, which gets a fresh block when this one is full */
static void *carve(Arena *a, unsigned char **at, unsigned char **end, size_t n, size_t align)
{
    enum { BLOCK = 65536 };
    if (n > BLOCK / 4)
        return arena_alloc(a, n);
    uintptr_t p = ((uintptr_t)*at + (align - 1)) & ~(uintptr_t)(align - 1);
    if (!*at || p + n > (uintptr_t)*end) {
        *at = arena_alloc(a, BLOCK);
        *end = *at + BLOCK;
        p = (uintptr_t)*at;
    }
    *at = (unsigned char *)(p + n);
    return (void *)p;
}

#define TREE_NEW(st, T, n) \
    ((T *)carve((st)->tree, &(st)->obj_at, &(st)->obj_end, sizeof(T) * (size_t)(n), _Alignof(T)))

static const char *str_copy(ReadState *st, const char *s, size_t n)
{
    char *p = carve(st->a, &st->str_at, &st->str_end, n + 1, 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

/* The arena copy of a name with any namespace prefix dropped. */
static const char *local_name(ReadState *st, const xmlChar *name)
{
    size_t nslots = sizeof st->names / sizeof st->names[0];
    /* the pointer's bits mixed: interned names lie a few bytes apart */
    size_t slot = (size_t)(((uint64_t)(uintptr_t)name * 0x9E3779B97F4A7C15u) >> 40) % nslots;
    if (st->names[slot].key == name)
        return st->names[slot].copy;
    const char *s = (const char *)name;
    const char *colon = strrchr(s, ':');
    if (colon)
        s = colon + 1;
    /* a colliding name whose copy is the same text keeps it */
    const char *copy = st->names[slot].copy && !strcmp(st->names[slot].copy, s) ? st->names[slot].copy
                                                                                 : str_copy(st, s, strlen(s));
    st->names[slot].key = name;
    st->names[slot].copy = copy;
    return copy;
}

/* The arena copy of an attribute value, shared with an equal one seen
 * before when it is short. */
static const char *value_copy(ReadState *st, const char *s, size_t n)
{
    if (n > 32)
        return str_copy(st, s, n);
    uint32_t h = 2166136261u;   /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    size_t slot = h % (sizeof st->values / sizeof st->values[0]);
    if (st->values[slot].copy && st->values[slot].len == n && !memcmp(st->values[slot].copy, s, n))
        return st->values[slot].copy;
    const char *copy = str_copy(st, s, n);
    st->values[slot].copy = copy;
    st->values[slot].len = n;
    return copy;
}

/* ---- positions ---- */

/* The 1-based byte column of p.  A document read from memory is one buffer
   that does not move, and tags arrive in document order, so the scan goes
   forward from where the last one stopped: linear in the document, however
   long its lines. */
static int column_of(ReadState *st, const xmlChar *p, const xmlChar *base)
{
    if (!st->scanned || p < st->scanned || st->scanned < base) {
        /* first use, or out of order: from the start of p's line */
        const xmlChar *b = p;
        while (b > base && b[-1] != '\n')
            b--;
        st->line_start = b;
        st->scanned = p;
        return (int)(p - b) + 1;
    }
    for (const unsigned char *q = st->scanned; q < p; q++)
        if (*q == '\n')
            st->line_start = q + 1;
    st->scanned = p;
    return (int)(p - st->line_start) + 1;
}

/* Where a start tag and its attribute values begin.  libxml2 calls us with
 * the input at the tag's closing '>', so step back over the tag (attribute
 * values cannot hold a raw '<') and discount its newlines; an attribute's
 * value points into the same buffer when libxml2 did not have to rewrite it.
 * If the buffer no longer holds the whole tag, the line of the '>' will do;
 * a rewritten value gets 0 (xattr_loc then gives the tag's place). */
static void tag_pos(ReadState *st, XElem *e, int nb_attrs, const xmlChar **attrs)
{
    xmlParserInputPtr in = st->ctxt->input;
    if (!in || !in->cur || !in->base)
        return;
    e->line = in->line;
    const xmlChar *lt = NULL;
    int newlines = 0;
    for (const xmlChar *p = in->cur; p > in->base;) {
        p--;
        if (*p == '<') {
            lt = p;
            break;
        }
        if (*p == '\n')
            newlines++;
    }
    if (!lt)
        return;
    e->line = in->line - newlines;
    e->col = column_of(st, lt, in->base);
    /* values come in document order: count newlines forward, once */
    const xmlChar *q = lt;
    int nl = 0;
    for (int i = 0; i < nb_attrs; i++) {
        const xmlChar *v = attrs[i * 5 + 3];
        if (v < lt || v > in->cur)
            continue; /* rewritten (normalised) by libxml2: the tag's place */
        if (v < q) {
            q = lt;
            nl = 0;
        }
        for (; q < v; q++)
            nl += *q == '\n';
        e->attrs[i].line = e->line + nl;
        e->attrs[i].col = column_of(st, v, in->base);
    }
}

/* ---- building the tree as the parse goes ---- */

/* An attribute value libxml2 had to rewrite holds any '&' of the document
 * as the reference "&#38;" (it does not expand entities for us), and a
 * declared entity's reference as "&name;": the first becomes '&' again
 * (with any other character or predefined reference, should one appear),
 * the second is refused, as in text. */
static const char *attr_value(ReadState *st, const XElem *e, const xmlChar *v, const xmlChar *end)
{
    size_t n = (size_t)(end - v);
    if (!memchr(v, '&', n))
        return value_copy(st, (const char *)v, n);
    size_t base = st->ntext;
    st->text = grow(st->text, 1, &st->cap_text, base + n + 1);
    char *out = st->text + base;
    size_t k = 0;
    for (const xmlChar *p = v; p < end;) {
        if (*p != '&') {
            out[k++] = (char)*p++;
            continue;
        }
        const xmlChar *semi = memchr(p, ';', (size_t)(end - p));
        if (!semi) {
            fail_at(st, e->line, e->col, "malformed XML: an unterminated reference in an attribute value");
            return NULL;
        }
        const char *ref = (const char *)p + 1;
        size_t rlen = (size_t)(semi - p) - 1;
        static const struct { const char *name, *text; } predefined[] = {
            {"lt", "<"}, {"gt", ">"}, {"amp", "&"}, {"apos", "'"}, {"quot", "\""}};
        int done = 0;
        for (size_t i = 0; i < sizeof predefined / sizeof predefined[0] && !done; i++)
            if (strlen(predefined[i].name) == rlen && !memcmp(ref, predefined[i].name, rlen)) {
                out[k++] = predefined[i].text[0];
                done = 1;
            }
        if (!done && rlen >= 2 && ref[0] == '#') {
            int hex = ref[1] == 'x';
            long cp = 0;
            size_t i = hex ? 2 : 1;
            int ok = i < rlen;
            for (; ok && i < rlen; i++) {
                int c = ref[i], dv = c >= '0' && c <= '9'                  ? c - '0'
                                     : hex && c >= 'a' && c <= 'f'         ? c - 'a' + 10
                                     : hex && c >= 'A' && c <= 'F'         ? c - 'A' + 10
                                                                           : -1;
                if (dv < 0 || cp > 0x10FFFF)
                    ok = 0;
                else
                    cp = cp * (hex ? 16 : 10) + dv;
            }
            /* a character reference is never longer than its UTF-8 */
            if (ok && cp > 0 && cp <= 0x10FFFF) {
                k += (size_t)xmlCopyCharMultiByte((xmlChar *)out + k, (int)cp);
                done = 1;
            }
        }
        if (!done) {
            fail_at(st, e->line, e->col, "entity reference '&%.*s;' is not allowed", (int)rlen, ref);
            return NULL;
        }
        p = semi + 1;
    }
    return value_copy(st, out, k);
}

/* What libxml2's DOM builder checked of ID attributes (xml:id, read as
 * "id", and those a DOCTYPE's ATTLIST declares ID): xml:id is a name, and
 * no two have the same value.  0 after reporting. */
static int id_ok(ReadState *st, const XElem *e, int i, const xmlChar *elem, const xmlChar *elem_prefix,
                 const xmlChar **attrs)
{
    const xmlChar *name = attrs[i * 5], *prefix = attrs[i * 5 + 1];
    const XAttr *at = &e->attrs[i];
    int line = at->line > 0 ? at->line : e->line, col = at->line > 0 ? at->col : e->col;
    int xml_id = prefix && !strcmp((const char *)prefix, "xml") && !strcmp((const char *)name, "id");
    if (xml_id && xmlValidateNCName((const xmlChar *)at->value, 1) != 0) {
        char shown[200];   /* one line, as every diagnostic */
        snprintf(shown, sizeof shown, "%s", at->value);
        for (char *c = shown; *c; c++)
            if (*c == '\n' || *c == '\r')
                *c = ' ';
        fail_at(st, line, col, "malformed XML: xml:id : attribute value %s is not an NCName", shown);
        return 0;
    }
    xmlDocPtr doc = st->ctxt->myDoc;
    if (!xml_id && doc && doc->intSubset) {
        xmlChar eb[50], ab[50];
        xmlChar *ename = elem_prefix ? xmlBuildQName(elem, elem_prefix, eb, 50) : (xmlChar *)elem;
        xmlChar *aname = prefix ? xmlBuildQName(name, prefix, ab, 50) : (xmlChar *)name;
        xmlAttributePtr decl = ename && aname ? xmlGetDtdAttrDesc(doc->intSubset, ename, aname) : NULL;
        if (ename && ename != eb && ename != elem)
            xmlFree(ename);
        if (aname && aname != ab && aname != name)
            xmlFree(aname);
        if (!decl || decl->atype != XML_ATTRIBUTE_ID)
            return 1;
    } else if (!xml_id) {
        return 1;
    }
    if (!at->value[0])
        return 1;
    if (names_get(&st->ids, at->value) >= 0) {
        fail_at(st, line, col, "malformed XML: ID %s already defined", at->value);
        return 0;
    }
    names_put(st->a, &st->ids, at->value, 1);
    return 1;
}

/* Limits are enforced as elements arrive, so an oversized or too-deep
 * document stops early instead of being built first. */
static void on_start(void *ud, const xmlChar *localname, const xmlChar *prefix,
                     const xmlChar *uri, int nb_ns, const xmlChar **ns,
                     int nb_attrs, int nb_defaulted, const xmlChar **attrs)
{
    (void)uri;
    (void)nb_ns;
    (void)ns;
    xmlParserCtxtPtr ctxt = ud;
    ReadState *st = ctxt->_private;
    if (st->failed)
        return;
    /* attributes a DTD defaults are not the document's (no DTDATTR) */
    nb_attrs -= nb_defaulted;
    XElem *e = TREE_NEW(st, XElem, 1);
    memset(e, 0, sizeof *e);
    e->text = "";
    if (nb_attrs > 0) {
        e->attrs = TREE_NEW(st, XAttr, nb_attrs);
        memset(e->attrs, 0, sizeof(XAttr) * (size_t)nb_attrs);
    }
    tag_pos(st, e, nb_attrs, attrs);
    int depth = st->nopen + 1;
    st->elements++;
    if (depth > st->max_depth) {
        fail_at(st, e->line, e->col, "nesting deeper than %d%s", st->max_depth, limits_hint("depth"));
        stop(st);
        return;
    }
    if (st->elements > st->max_elements) {
        fail_at(st, e->line, e->col, "more than %ld elements%s", st->max_elements, limits_hint("xml-elements"));
        stop(st);
        return;
    }
    if (depth == 1 && strcmp((const char *)localname, "PMML") != 0) {
        fail_at(st, e->line, e->col, "root element is <%s>, expected <PMML>",
             (const char *)localname);
        stop(st);
        return;
    }
    e->name = local_name(st, localname);
    for (int i = 0; i < nb_attrs; i++) {
        e->attrs[i].name = local_name(st, attrs[i * 5]);
        e->attrs[i].value = attr_value(st, e, attrs[i * 5 + 3], attrs[i * 5 + 4]);
        if (!e->attrs[i].value) {
            stop(st);
            return;
        }
        if (!id_ok(st, e, i, localname, prefix, attrs)) {
            stop(st);
            return;
        }
    }
    e->nattrs = nb_attrs;

    if (st->nopen > 0) {
        Open *up = &st->open[st->nopen - 1];
        e->parent = up->e;
        if (!up->shadow.children)
            up->shadow.children = &other_child;
        up->shadow.last = &other_child;
        up->run_type = 0;
    }
    st->kids = grow(st->kids, sizeof *st->kids, &st->cap_kids, st->nkids + 1);
    st->kids[st->nkids++] = e;

    st->open = grow(st->open, sizeof *st->open, &st->cap_open, (size_t)st->nopen + 1);
    Open *o = &st->open[st->nopen++];
    memset(o, 0, sizeof *o);
    o->e = e;
    o->kids_from = st->nkids;
    o->text_from = st->ntext;
    o->shadow.type = XML_ELEMENT_NODE;
    o->shadow.name = localname;
    ctxt->node = &o->shadow;
}

static void on_end(void *ud, const xmlChar *localname, const xmlChar *prefix,
                   const xmlChar *uri)
{
    (void)localname;
    (void)prefix;
    (void)uri;
    xmlParserCtxtPtr ctxt = ud;
    ReadState *st = ctxt->_private;
    if (st->failed || st->nopen == 0)
        return;
    Open *o = &st->open[--st->nopen];
    XElem *e = o->e;
    size_t nk = st->nkids - o->kids_from;
    if (nk) {
        e->kids = TREE_NEW(st, XElem *, nk);
        memcpy(e->kids, st->kids + o->kids_from, nk * sizeof *e->kids);
        e->nkids = (int)nk;
    }
    st->nkids = o->kids_from;
    if (st->ntext > o->text_from)
        e->text = str_copy(st, st->text + o->text_from, st->ntext - o->text_from);
    st->ntext = o->text_from;
    if (st->nopen == 0)
        st->root = e;
    ctxt->node = st->nopen ? &st->open[st->nopen - 1].shadow : NULL;
}

/* libxml2's own limit on one text node (without XML_PARSE_HUGE), which its
   DOM builder enforced as consecutive pieces of text were joined */
enum { MAX_TEXT_NODE = 10000000 };

static void add_text(ReadState *st, const xmlChar *ch, int len, int type)
{
    /* even an empty piece is a child (libxml2 passes an empty CDATA
       section on, and its DOM builder made a node of it) */
    if (st->failed || st->nopen == 0 || len < 0)
        return;
    Open *o = &st->open[st->nopen - 1];
    if (o->run_type == type) {
        if (o->run_len + (size_t)len > MAX_TEXT_NODE) {
            fail_at(st, current_line(st), 0, "malformed XML: a text node longer than %d bytes", MAX_TEXT_NODE);
            stop(st);
            return;
        }
        o->run_len += (size_t)len;
    } else {
        o->run_type = type;
        o->run_len = (size_t)len;
    }
    xmlNode *kind = type == XML_TEXT_NODE ? &text_child : &cdata_child;
    if (!o->shadow.children)
        o->shadow.children = kind;
    o->shadow.last = kind;
    if (len == 0) /* an empty CDATA section: a child, but no bytes (and no buffer yet, maybe) */
        return;
    st->text = grow(st->text, 1, &st->cap_text, st->ntext + (size_t)len);
    memcpy(st->text + st->ntext, ch, (size_t)len);
    st->ntext += (size_t)len;
}

/* Text and CDATA, entities already resolved, concatenated in document
 * order.  Whitespace that libxml2 calls ignorable never comes here. */
static void on_characters(void *ud, const xmlChar *ch, int len)
{
    xmlParserCtxtPtr ctxt = ud;
    add_text(ctxt->_private, ch, len, XML_TEXT_NODE);
}

static void on_cdata(void *ud, const xmlChar *ch, int len)
{
    xmlParserCtxtPtr ctxt = ud;
    add_text(ctxt->_private, ch, len, XML_CDATA_SECTION_NODE);
}

/* Comments and processing instructions are dropped, but a DOM would have
 * kept them as children, which the whitespace heuristic sees. */
static void other_child_seen(ReadState *st)
{
    if (st->nopen == 0)
        return;
    Open *o = &st->open[st->nopen - 1];
    if (!o->shadow.children)
        o->shadow.children = &other_child;
    o->shadow.last = &other_child;
    o->run_type = 0;
}

static void on_comment(void *ud, const xmlChar *value)
{
    (void)value;
    xmlParserCtxtPtr ctxt = ud;
    other_child_seen(ctxt->_private);
}

static void on_pi(void *ud, const xmlChar *target, const xmlChar *data)
{
    (void)target;
    (void)data;
    xmlParserCtxtPtr ctxt = ud;
    other_child_seen(ctxt->_private);
}

/* libxml2 checks a start tag's attributes for duplicates pair by pair: an
 * element with 200,000 attributes takes minutes.  So the bytes are scanned
 * first, in one linear pass, and a tag with more than max attributes is an
 * error before libxml2 sees it.  The scan knows just enough XML to find
 * start tags (comments, CDATA, processing instructions, declarations and
 * quoted values are skipped); what it cannot make sense of it leaves to
 * libxml2, which reports it. */
static const char *skip_past(const char *p, const char *end, const char *what, int *line)
{
    size_t n = strlen(what);
    for (; p + n <= end; p++) {
        if (*p == '\n')
            (*line)++;
        if (!memcmp(p, what, n))
            return p + n;
    }
    return end;
}

static int count_attributes(Diags *d, const char *file, const char *data, size_t len, long max)
{
    const char *p = data, *end = data + len, *line_start = data;
    int line = 1;
    while (p < end) {
        const char *lt = memchr(p, '<', (size_t)(end - p));
        if (!lt)
            break;
        for (const char *q = p; q < lt; q++)
            if (*q == '\n')
                line++, line_start = q + 1;
        p = lt + 1;
        if (p >= end)
            break;
        if (*p == '!') {
            if (end - p >= 3 && !memcmp(p, "!--", 3))
                p = skip_past(p + 3, end, "-->", &line);
            else if (end - p >= 8 && !memcmp(p, "![CDATA[", 8))
                p = skip_past(p + 8, end, "]]>", &line);
            else
                p = skip_past(p, end, ">", &line); /* a declaration; its internal subset is refused anyway */
            continue;
        }
        if (*p == '?') {
            p = skip_past(p, end, "?>", &line);
            continue;
        }
        if (*p == '/')
            continue;
        /* a start tag: its name, then attributes up to > or /> */
        int tag_line = line, tag_col = (int)(lt - line_start) + 1;
        long n = 0;
        while (p < end && *p != '>' && !(*p == '/' && p + 1 < end && p[1] == '>')) {
            if (*p == '"' || *p == '\'') {
                const char *close = memchr(p + 1, *p, (size_t)(end - p - 1));
                if (!close)
                    return 1; /* unterminated: libxml2 says where */
                for (const char *q = p; q < close; q++)
                    line += *q == '\n';
                p = close + 1;
                continue;
            }
            if (*p == '=' && ++n > max) {
                Loc loc = {file, tag_line, tag_col, NULL};
                diag_error(d, loc, "an element with more than %ld attributes%s", max, limits_hint("xml-attributes"));
                return 0;
            }
            if (*p == '\n')
                line++;
            p++;
        }
    }
    return 1;
}

static XElem *read_doc(Arena *a, Arena *tree, Diags *d, const char *file, const char *data,
                       size_t len, const PmmlLimits *lim, char *owned)
{
    static int initialized;
    if (!initialized) {
        xmlInitParser();
        initialized = 1;
    }

    ReadState *st = calloc(1, sizeof *st);
    if (!st) {
        fprintf(stderr, "nerva: out of memory\n");
        exit(3);
    }
    st->d = d;
    st->a = a;
    st->tree = tree;
    st->file = file;
    /* a zero field means "the default", so callers can set just one */
    st->max_depth = lim && lim->max_depth > 0 ? lim->max_depth : (int)nv_limits.depth;
    st->max_elements = lim && lim->max_elements > 0 ? lim->max_elements : nv_limits.xml_elements;
    size_t max_bytes = lim && lim->max_bytes ? lim->max_bytes : (size_t)nv_limits.file_bytes;
    long max_attrs = lim && lim->max_attrs > 0 ? lim->max_attrs : nv_limits.xml_attributes;
    Loc nowhere = {file, 0, 0, NULL};
    XElem *root = NULL;

    if (len > max_bytes) {
        diag_error(d, nowhere, "file is %zu bytes, more than the limit of %zu%s",
                   len, max_bytes, limits_hint("file-bytes"));
        goto done;
    }
    if (!count_attributes(d, file, data, len, max_attrs))
        goto done;
    if (len == 0 || !data) {
        diag_error(d, nowhere, "empty file, expected a PMML document");
        goto done;
    }
    if (len > INT_MAX) {
        diag_error(d, nowhere,
                   "file is %zu bytes, too large for the XML parser", len);
        goto done;
    }

    xmlStructuredErrorFunc old_serror = xmlStructuredError;
    void *old_serror_ctx = xmlStructuredErrorContext;
    xmlGenericErrorFunc old_gerror = xmlGenericError;
    void *old_gerror_ctx = xmlGenericErrorContext;
    xmlExternalEntityLoader old_loader = xmlGetExternalEntityLoader();
    xmlSetStructuredErrorFunc(st, on_xml_error);
    xmlSetGenericErrorFunc(NULL, on_generic_error);
    xmlSetExternalEntityLoader(refuse_entity);

    xmlDocPtr doc = NULL;
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt) {
        diag_error(d, nowhere, "out of memory creating the XML parser");
        goto out;
    }
    st->ctxt = ctxt;
    ctxt->_private = st;
    /* The element tree is built by these callbacks, straight from the
     * parse: libxml2 builds no DOM (its startDocument still makes an empty
     * document, which holds a DOCTYPE's declarations for the whitespace
     * heuristic). */
    xmlSAXHandlerPtr sax = ctxt->sax;
    sax->serror = NULL;   /* errors go to the structured handler */
    sax->entityDecl = on_entity_decl;
    sax->reference = on_reference;
    sax->startElementNs = on_start;
    sax->endElementNs = on_end;
    sax->characters = on_characters;
    sax->cdataBlock = on_cdata;
    sax->comment = on_comment;
    sax->processingInstruction = on_pi;

    /* No NOENT, DTDLOAD, DTDATTR or DTDVALID: nothing outside the bytes we
     * were given is ever consulted.  HUGE stays off so libxml2 keeps its own
     * size limits as a second line of defence.  NOBLANKS has libxml2 drop
     * the whitespace it deems ignorable (through the shadow nodes of Open). */
    int opts = XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_BIG_LINES;
    loading = st;
    doc = read_copy(ctxt, data, (int)len, owned, file, opts);
    owned = NULL;
    loading = NULL;
    ctxt->node = NULL;   /* a shadow, in memory freed below */
    if (!st->failed && !doc)
        fail_at(st, current_line(st), 0, "malformed XML");
    st->ctxt = NULL;   /* the parse is over; nothing left to stop */
    if (!st->failed && !st->root)
        fail_at(st, 1, 0, "no root element, expected <PMML>");
    root = st->root;

out:
    if (doc)
        xmlFreeDoc(doc);
    if (ctxt)
        xmlFreeParserCtxt(ctxt);
    xmlSetExternalEntityLoader(old_loader);
    xmlSetGenericErrorFunc(old_gerror_ctx, old_gerror);
    xmlSetStructuredErrorFunc(old_serror_ctx, old_serror);
done:
    free(owned);
    if (st->failed)
        root = NULL;
    free(st->open);
    free(st->kids);
    free(st->text);
    free(st);
    return root;
}

XElem *read_pmml(Arena *a, Diags *d, const char *file, const char *data,
                 size_t len, const PmmlLimits *lim)
{
    return read_doc(a, a, d, file, data, len, lim, NULL);
}

XElem *read_pmml_split(Arena *a, Arena *tree, Diags *d, const char *file, char *data,
                       size_t len, const PmmlLimits *lim)
{
    return read_doc(a, tree, d, file, data, len, lim, data);
}

/* ---- helpers over the element tree ---- */

const char *xattr(const XElem *e, const char *name)
{
    if (!e)
        return NULL;
    for (int i = 0; i < e->nattrs; i++)
        if (strcmp(e->attrs[i].name, name) == 0)
            return e->attrs[i].value;
    return NULL;
}

XElem *xchild(const XElem *e, const char *name)
{
    if (!e)
        return NULL;
    for (int i = 0; i < e->nkids; i++)
        if (strcmp(e->kids[i]->name, name) == 0)
            return e->kids[i];
    return NULL;
}

int xcount(const XElem *e, const char *name)
{
    int n = 0;
    if (!e)
        return 0;
    for (int i = 0; i < e->nkids; i++)
        if (strcmp(e->kids[i]->name, name) == 0)
            n++;
    return n;
}

Loc xloc(const char *file, const XElem *e)
{
    Loc loc = {file, e ? e->line : 0, e ? e->col : 0, NULL};
    return loc;
}

Loc xattr_loc(const char *file, const XElem *e, const char *name)
{
    for (int i = 0; e && i < e->nattrs; i++)
        if (strcmp(e->attrs[i].name, name) == 0 && e->attrs[i].line > 0)
            return (Loc){file, e->attrs[i].line, e->attrs[i].col, NULL};
    return xloc(file, e);
}

const char *pmml_reader_version(void)
{
    return LIBXML_DOTTED_VERSION;
}
