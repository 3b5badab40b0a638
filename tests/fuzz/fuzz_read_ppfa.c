/* Arbitrary bytes must never crash, hang or leak the PrettyPFA reader: the
 * flex scanner, the bison parser, the interpretation into PFA's JSON and
 * read_pfa.c's syntax reader.  What reads is held to the properties
 * `nerva convert` promises, and a broken one is a finding (a trap):
 *   - the JSON written of the document reads back as JSON;
 *   - PrettyPFA written of the document (convert --to ppfa), when the writer
 *     accepts it, reads back as PrettyPFA, and writes the same text again.
 * A document that reads is also type-checked and lowered to the IR. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lower_pfa.h"
#include "ppfa.h"
#include "typecheck.h"
#include "write_json.h"
#include "write_ppfa.h"

static void check_json(Arena *a, const JVal *root)
{
    StrBuf s;
    Diags d;
    sb_init(&s);
    diags_init(&d);
    d.quiet = 1;
    json_write(&s, root, 1);
    PfaLimits lim = {.max_bytes = (size_t)64 << 20, .max_depth = 100000};
    if (!read_json(a, &d, "fuzz.json", s.data, s.len, &lim) || d.errors)
        __builtin_trap();
    sb_free(&s);
}

static void check_ppfa(Arena *a, const PfaDoc *doc)
{
    StrBuf s, s2;
    Diags d;
    sb_init(&s);
    sb_init(&s2);
    diags_init(&d);
    d.quiet = 1;
    if (write_ppfa(&s, doc, &d) == 0) {
        PfaLimits lim = {.max_bytes = (size_t)64 << 20, .max_depth = 100000};
        PfaDoc *back = read_ppfa(a, &d, "fuzz2.ppfa", s.data, s.len, &lim);
        if (!back || d.errors)
            __builtin_trap();
        if (write_ppfa(&s2, back, &d) != 0 || s.len != s2.len || memcmp(s.data, s2.data, s.len))
            __builtin_trap();
    }
    sb_free(&s);
    sb_free(&s2);
}

__attribute__((visibility("default")))
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Arena a;
    Diags d;
    arena_init(&a);
    diags_init(&d);
    d.quiet = 1;
    JVal *root = ppfa_to_json(&a, &d, "fuzz.ppfa", (const char *)data, size, NULL);
    if (root && !d.errors) {
        check_json(&a, root);
        PfaDoc *doc = pfa_doc_from_json(&a, &d, "fuzz.ppfa", root);
        if (doc && !d.errors) {
            check_ppfa(&a, doc);
            PfaProgram *p = typecheck_pfa(&a, &d, doc);
            if (p && !d.errors)
                (void)lower_pfa(&a, &d, p, "fuzz.ppfa");
        }
    }
    arena_free(&a);
    return 0;
}
