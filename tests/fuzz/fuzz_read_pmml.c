/* Arbitrary bytes must never crash, hang or leak the PMML reader: it is the
 * first code to touch untrusted model files. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "read_pmml.h"

/* Read every string in the tree so a sanitizer sees any bad pointer. */
static size_t touch(const XElem *e)
{
    size_t n = 0;
    while (e) {
        n += strlen(e->name) + strlen(e->text) + (size_t)e->line;
        for (int i = 0; i < e->nattrs; i++)
            n += strlen(e->attrs[i].name) + strlen(e->attrs[i].value);
        if (e->nkids) {
            e = e->kids[0];
            continue;
        }
        /* climb until a later sibling exists */
        for (;;) {
            const XElem *p = e->parent;
            if (!p)
                return n;
            int i = 0;
            while (p->kids[i] != e)
                i++;
            if (i + 1 < p->nkids) {
                e = p->kids[i + 1];
                break;
            }
            e = p;
        }
    }
    return n;
}

__attribute__((visibility("default")))
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Arena a;
    Diags d;
    arena_init(&a);
    diags_init(&d);
    d.quiet = 1;
    XElem *root = read_pmml(&a, &d, "fuzz.pmml", (const char *)data, size,
                            NULL);
    if (root) {
        volatile size_t sink = touch(root);
        (void)sink;
        (void)xattr(root, "version");
        (void)xcount(root, "Header");
        (void)xloc("fuzz.pmml", xchild(root, "DataDictionary"));
    }
    arena_free(&a);
    return 0;
}
