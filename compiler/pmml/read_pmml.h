/* The PMML frontend's boundary: libxml2 parses the document safely and its
 * SAX2 callbacks build this small element tree in the compilation arena as
 * the parse goes (libxml2 builds no document tree of its own).  Nothing of
 * libxml2 leaves read_pmml.c. */
#ifndef NERVA_READ_PMML_H
#define NERVA_READ_PMML_H

#include "util.h"

typedef struct XAttr {
    const char *name;    /* local name, namespace prefix dropped */
    const char *value;
    int line, col;       /* where its value starts (0 when unknown) */
} XAttr;

typedef struct XElem XElem;
struct XElem {           /* (pointers first: 56 bytes, no padding) */
    const char *name;    /* local name, namespace prefix dropped */
    XAttr *attrs;        /* nattrs of them, in document order */
    XElem **kids;        /* element children only, in document order */
    const char *text;    /* concatenated text content of direct text children
                            (entities already resolved); "" when none */
    XElem *parent;
    int line, col;       /* where its start tag begins; col in bytes, 1-based (0: unknown) */
    int nattrs;
    int nkids;
};

/* the limits of one read; a zero field takes nv_limits. value (bounds.h) */
typedef struct PmmlLimits {
    size_t max_bytes;    /* default 256 MiB */
    int max_depth;       /* default 256 */
    long max_elements;   /* default 20 million */
    long max_attrs;      /* per element; default 1000 */
} PmmlLimits;

/* Parse `data` (the file's bytes) into an element tree.  Returns the root
 * element (<PMML>) or NULL after reporting errors as file:line:col. */
XElem *read_pmml(Arena *a, Diags *d, const char *file, const char *data,
                 size_t len, const PmmlLimits *lim);
/* The same, with the tree's structure (XElem, XAttr and kids arrays) in
 * `tree` and its strings (names, attribute values, text) in `a`: once the
 * document is lowered `tree` can be freed, the IR keeping the strings.
 * `data` is malloc'd and freed by the call, as soon as libxml2 has its copy. */
XElem *read_pmml_split(Arena *a, Arena *tree, Diags *d, const char *file, char *data,
                       size_t len, const PmmlLimits *lim);

/* helpers over the element tree */
const char *xattr(const XElem *e, const char *name);           /* NULL if absent */
XElem *xchild(const XElem *e, const char *name);                /* first by name */
int xcount(const XElem *e, const char *name);
Loc xloc(const char *file, const XElem *e);
/* where attribute `name`'s value starts, or the element's location */
Loc xattr_loc(const char *file, const XElem *e, const char *name);

/* the version of the XML library the reader uses */
const char *pmml_reader_version(void);

#endif
