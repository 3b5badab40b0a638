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
#include <libxml/tree.h>
#include <libxml/xmlerror.h>


/* What one read_pmml call needs inside libxml2's callbacks. */
typedef struct ReadState {
    Diags *d;
    Arena *a;
    /* columns are counted forward through the document as tags arrive:
       the byte scanned up to, and the start of its line */
    const unsigned char *scanned, *line_start;
    const char *file;
    xmlParserCtxtPtr ctxt;
    int max_depth;
    long max_elements;
    int depth;
    long elements;
    int failed;         /* one error per document: the first is the cause,
                           whatever libxml2 says afterwards is fallout */
    /* A model repeats a few dozen names hundreds of thousands of times and
     * libxml2 interns them, so one arena copy per distinct pointer saves
     * much of the tree's memory.  Direct-mapped: a collision only costs a
     * fresh copy. */
    struct { const xmlChar *key; const char *copy; } names[512];
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

/* Where a start tag and its attribute values begin.  libxml2 calls us with
 * the input at the tag's closing '>', so step back over the tag (attribute
 * values cannot hold a raw '<') and discount its newlines; an attribute's
 * value points into the same buffer when libxml2 did not have to rewrite it.
 * If the buffer no longer holds the whole tag, the line of the '>' will do. */
typedef struct TagPos {
    int line, col;
    int nattrs;
    int *aline, *acol;   /* per attribute, in document order */
} TagPos;

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

static TagPos *tag_pos(ReadState *st, const xmlParserCtxtPtr ctxt, int nb_attrs, const xmlChar **attrs)
{
    TagPos *tp = ARENA_NEW(st->a, TagPos);
    xmlParserInputPtr in = ctxt->input;
    if (!in || !in->cur || !in->base)
        return tp;
    tp->line = in->line;
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
        return tp;
    tp->line = in->line - newlines;
    tp->col = column_of(st, lt, in->base);
    tp->nattrs = nb_attrs;
    tp->aline = ARENA_ARRAY(st->a, int, nb_attrs + 1);
    tp->acol = ARENA_ARRAY(st->a, int, nb_attrs + 1);
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
        tp->aline[i] = tp->line + nl;
        tp->acol[i] = column_of(st, v, in->base);
    }
    return tp;
}

/* Limits are enforced as elements arrive, so an oversized or too-deep
 * document stops early instead of being built first. */
static void on_start(void *ud, const xmlChar *localname, const xmlChar *prefix,
                     const xmlChar *uri, int nb_ns, const xmlChar **ns,
                     int nb_attrs, int nb_defaulted, const xmlChar **attrs)
{
    xmlParserCtxtPtr ctxt = ud;
    ReadState *st = ctxt->_private;
    if (st->failed)
        return;
    TagPos *tp = tag_pos(st, ctxt, nb_attrs, attrs);
    int line = tp->line, col = tp->col;
    st->depth++;
    st->elements++;
    if (st->depth > st->max_depth) {
        fail_at(st, line, col, "nesting deeper than %d%s", st->max_depth, limits_hint("depth"));
        stop(st);
        return;
    }
    if (st->elements > st->max_elements) {
        fail_at(st, line, col, "more than %ld elements%s", st->max_elements, limits_hint("xml-elements"));
        stop(st);
        return;
    }
    if (st->depth == 1 && strcmp((const char *)localname, "PMML") != 0) {
        fail_at(st, line, col, "root element is <%s>, expected <PMML>",
             (const char *)localname);
        stop(st);
        return;
    }
    xmlNodePtr parent = ctxt->node;
    xmlSAX2StartElementNs(ud, localname, prefix, uri, nb_ns, ns, nb_attrs,
                          nb_defaulted, attrs);
    /* _private carries the positions until the tree is converted (xmlNode's
     * own line field saturates at 65535, and it has no columns) */
    if (ctxt->node && ctxt->node != parent)
        ctxt->node->_private = tp;
}

static void on_end(void *ud, const xmlChar *localname, const xmlChar *prefix,
                   const xmlChar *uri)
{
    xmlParserCtxtPtr ctxt = ud;
    ReadState *st = ctxt->_private;
    xmlSAX2EndElementNs(ud, localname, prefix, uri);
    st->depth--;
}

/* ---- conversion to the arena tree ---- */

/* The arena copy of a name with any namespace prefix dropped. */
static const char *local_name(ReadState *st, Arena *a, const xmlChar *name)
{
    size_t nslots = sizeof st->names / sizeof st->names[0];
    size_t slot = ((uintptr_t)name >> 4) % nslots;
    if (st->names[slot].key == name)
        return st->names[slot].copy;
    const char *s = (const char *)name;
    const char *colon = strrchr(s, ':');
    const char *copy = arena_strdup(a, colon ? colon + 1 : s);
    st->names[slot].key = name;
    st->names[slot].copy = copy;
    return copy;
}

static int is_text(const xmlNode *n)
{
    return n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE;
}

/* Concatenate the text nodes in a sibling list into one arena string;
 * NULL (after reporting) if an entity reference survived. */
static const char *join_text(ReadState *st, Arena *a, const xmlNode *first,
                             int line)
{
    size_t total = 0;
    int pieces = 0;
    const xmlNode *only = NULL;
    for (const xmlNode *c = first; c; c = c->next) {
        if (c->type == XML_ENTITY_REF_NODE) {
            fail_at(st, line, 0, "entity reference '&%s;' is not allowed",
                 (const char *)c->name);
            return NULL;
        }
        if (is_text(c) && c->content) {
            total += strlen((const char *)c->content);
            pieces++;
            only = c;
        }
    }
    if (pieces == 0)
        return "";
    if (pieces == 1)
        return arena_strndup(a, (const char *)only->content, total);
    char *out = arena_alloc(a, total + 1);
    size_t at = 0;
    for (const xmlNode *c = first; c; c = c->next) {
        if (is_text(c) && c->content) {
            size_t n = strlen((const char *)c->content);
            memcpy(out + at, c->content, n);
            at += n;
        }
    }
    out[at] = 0;
    return out;
}

/* Build one XElem with its arrays sized up front; kids are filled in as
 * the walk reaches them. */
static XElem *convert_one(ReadState *st, Arena *a, xmlNodePtr n, XElem *parent)
{
    XElem *e = ARENA_NEW(a, XElem);
    const TagPos *tp = n->_private;
    e->name = local_name(st, a, n->name);
    e->line = tp ? tp->line : 0;
    e->col = tp ? tp->col : 0;
    e->parent = parent;

    int nattrs = 0, nkids = 0;
    for (xmlAttrPtr at = n->properties; at; at = at->next)
        nattrs++;
    for (xmlNodePtr c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            nkids++;
    if (nattrs) {
        e->attrs = ARENA_ARRAY(a, XAttr, nattrs);
        for (xmlAttrPtr at = n->properties; at; at = at->next) {
            const char *v = join_text(st, a, at->children, e->line);
            if (!v)
                return NULL;
            e->attrs[e->nattrs].name = local_name(st, a, at->name);
            e->attrs[e->nattrs].value = v;
            if (tp && e->nattrs < tp->nattrs && tp->aline) {
                e->attrs[e->nattrs].line = tp->aline[e->nattrs];
                e->attrs[e->nattrs].col = tp->acol[e->nattrs];
            }
            e->nattrs++;
        }
    }
    if (nkids)
        e->kids = ARENA_ARRAY(a, XElem *, nkids);
    e->text = join_text(st, a, n->children, e->line);
    if (!e->text)
        return NULL;
    n->_private = e;
    if (parent)
        parent->kids[parent->nkids++] = e;
    return e;
}

/* Pre-order walk over libxml2's own links, so no recursion and no stack
 * however deep the document is. */
static XElem *convert_tree(ReadState *st, Arena *a, xmlNodePtr root)
{
    XElem *top = convert_one(st, a, root, NULL);
    if (!top)
        return NULL;
    xmlNodePtr cur = root->children;
    while (cur && cur != root) {
        if (cur->type == XML_ELEMENT_NODE) {
            if (!convert_one(st, a, cur, cur->parent->_private))
                return NULL;
            if (cur->children) {
                cur = cur->children;
                continue;
            }
        }
        while (cur != root && !cur->next)
            cur = cur->parent;
        if (cur != root)
            cur = cur->next;
    }
    return top;
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

XElem *read_pmml(Arena *a, Diags *d, const char *file, const char *data,
                 size_t len, const PmmlLimits *lim)
{
    static int initialized;
    if (!initialized) {
        xmlInitParser();
        initialized = 1;
    }

    ReadState st = {0};
    st.d = d;
    st.a = a;
    st.file = file;
    /* a zero field means "the default", so callers can set just one */
    st.max_depth = lim && lim->max_depth > 0 ? lim->max_depth : (int)nv_limits.depth;
    st.max_elements = lim && lim->max_elements > 0 ? lim->max_elements : nv_limits.xml_elements;
    size_t max_bytes = lim && lim->max_bytes ? lim->max_bytes : (size_t)nv_limits.file_bytes;
    long max_attrs = lim && lim->max_attrs > 0 ? lim->max_attrs : nv_limits.xml_attributes;
    Loc nowhere = {file, 0, 0, NULL};

    if (len > max_bytes) {
        diag_error(d, nowhere, "file is %zu bytes, more than the limit of %zu%s",
                   len, max_bytes, limits_hint("file-bytes"));
        return NULL;
    }
    if (!count_attributes(d, file, data, len, max_attrs))
        return NULL;
    if (len == 0 || !data) {
        diag_error(d, nowhere, "empty file, expected a PMML document");
        return NULL;
    }
    if (len > INT_MAX) {
        diag_error(d, nowhere,
                   "file is %zu bytes, too large for the XML parser", len);
        return NULL;
    }

    xmlStructuredErrorFunc old_serror = xmlStructuredError;
    void *old_serror_ctx = xmlStructuredErrorContext;
    xmlGenericErrorFunc old_gerror = xmlGenericError;
    void *old_gerror_ctx = xmlGenericErrorContext;
    xmlExternalEntityLoader old_loader = xmlGetExternalEntityLoader();
    xmlSetStructuredErrorFunc(&st, on_xml_error);
    xmlSetGenericErrorFunc(NULL, on_generic_error);
    xmlSetExternalEntityLoader(refuse_entity);

    XElem *root = NULL;
    xmlDocPtr doc = NULL;
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt) {
        diag_error(d, nowhere, "out of memory creating the XML parser");
        goto out;
    }
    st.ctxt = ctxt;
    ctxt->_private = &st;
    ctxt->sax->serror = NULL;   /* errors go to the structured handler */
    ctxt->sax->entityDecl = on_entity_decl;
    ctxt->sax->startElementNs = on_start;
    ctxt->sax->endElementNs = on_end;

    /* No NOENT, DTDLOAD, DTDATTR or DTDVALID: nothing outside the bytes we
     * were given is ever consulted.  HUGE stays off so libxml2 keeps its own
     * size limits as a second line of defence.  COMPACT only saves mallocs;
     * the tree is read, never edited, before it is freed. */
    int opts = XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_BIG_LINES |
               XML_PARSE_COMPACT;
    loading = &st;
    doc = xmlCtxtReadMemory(ctxt, data, (int)len, file, NULL, opts);
    loading = NULL;
    if (!st.failed && !doc)
        fail_at(&st, current_line(&st), 0, "malformed XML");
    st.ctxt = NULL;   /* the parse is over; nothing left to stop */
    if (st.failed)
        goto out;

    xmlNodePtr top = xmlDocGetRootElement(doc);
    if (!top) {
        fail_at(&st, 1, 0, "no root element, expected <PMML>");
        goto out;
    }
    root = convert_tree(&st, a, top);

out:
    if (doc)
        xmlFreeDoc(doc);
    if (ctxt)
        xmlFreeParserCtxt(ctxt);
    xmlSetExternalEntityLoader(old_loader);
    xmlSetGenericErrorFunc(old_gerror_ctx, old_gerror);
    xmlSetStructuredErrorFunc(old_serror_ctx, old_serror);
    return st.failed ? NULL : root;
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
