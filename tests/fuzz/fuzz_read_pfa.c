/* Arbitrary bytes must never crash, hang or leak the PFA frontend: the reader
 * (jansson and the line scanner) and the type checker are the first code to
 * touch untrusted PFA documents.  A document that reads and type-checks is
 * lowered to the IR too, so the whole frontend is under the fuzzer. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lower_pfa.h"
#include "read_pfa.h"
#include "typecheck.h"

__attribute__((visibility("default")))
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Arena a;
    Diags d;
    arena_init(&a);
    diags_init(&d);
    d.quiet = 1;
    PfaDoc *doc = read_pfa(&a, &d, "fuzz.pfa", (const char *)data, size, NULL);
    if (doc && !d.errors) {
        PfaProgram *p = typecheck_pfa(&a, &d, doc);
        if (p && !d.errors)
            (void)lower_pfa(&a, &d, p, "fuzz.pfa");
    }
    arena_free(&a);
    return 0;
}
