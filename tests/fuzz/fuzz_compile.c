/* Arbitrary bytes through the whole compiler, the way `nerva compile` runs
 * it: a PMML document read, lowered, through the passes and emitted as C;
 * a PFA document (its first character is "{") read, type-checked, lowered
 * and emitted.  The readers' own fuzzers stop at their trees; models that
 * read well but mean something strange reach the later phases only here.
 * Every phase must refuse them with a diagnostic or handle them: never a
 * crash, a hang, a leak or a sanitizer report.  Odd-sized inputs compile
 * their trees in the table layouts (threshold 0), even-sized ones as
 * branches. */
#include <stddef.h>
#include <stdint.h>

#include "emit.h"
#include "ir.h"
#include "lower_pfa.h"
#include "lower_pmml.h"
#include "read_pfa.h"
#include "read_pmml.h"
#include "typecheck.h"

__attribute__((visibility("default")))
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Arena a;
    Diags d;
    IrProgram *p = NULL;
    size_t i = 0;
    arena_init(&a);
    diags_init(&d);
    d.quiet = 1;
    while (i < size && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r'))
        i++;
    if (i < size && data[i] == '{') {
        PfaDoc *doc = read_pfa(&a, &d, "fuzz.pfa", (const char *)data, size, NULL);
        PfaProgram *tp = doc && !d.errors ? typecheck_pfa(&a, &d, doc) : NULL;
        if (tp && !d.errors)
            p = lower_pfa(&a, &d, tp, "fuzz.pfa");
    } else {
        XElem *root = read_pmml(&a, &d, "fuzz.pmml", (const char *)data, size, NULL);
        if (root && !d.errors)
            p = lower_pmml(&a, &d, "fuzz.pmml", root);
        if (p && !d.errors) {
            IrBuilder b = {.a = &a, .d = &d, .p = p};
            pass_intern_strings(&b);
            pass_propagate(&b);
            pass_dead_stores(&b);
        }
    }
    if (p && !d.errors) {
        StrBuf c, h;
        EmitOptions eo = {.prefix = "fz", .header_name = "fz.h", .version = "fuzz",
                          .tree_table_threshold = size % 2 ? 0 : 4000};
        sb_init(&c);
        sb_init(&h);
        (void)emit_c(p, &eo, &d, &c, &h);
        sb_free(&c);
        sb_free(&h);
    }
    arena_free(&a);
    return 0;
}
