/* lib.c -- the whole run-time library as one translation unit: the files of
 * runtime/lib/ in the order their sections are copied into generated units
 * (compiler/c/rtlib.c lists the same files in the same order).
 *
 * nerva never copies this file; it exists so that the library is compiled
 * and tested as ordinary C (tests/unit/test_lib.c, test_pfa_rt.c include
 * it), and so that a section that uses something defined only in a later
 * file fails to compile here first. */
#include "nerva_model.h" /* the status codes of engines (pfa_rt.c: engine) */
#include "base.c"
#include "kernels.c"
#include "special.c"
#include "linalg.c"
#include "models.c"
#include "text.c"
#include "datetime.c"
#include "format.c"
#include "regex.c"
#include "textindex.c"
#include "state.c"
#include "trees.c"
#include "families.c"
#include "pfa_rt.c"
#include "pfa_lib.c"
#include "pfa_coll.c"
#include "pfa_la.c"
#include "pfa_prob.c"
#include "pfa_stat.c"
#include "pfa_model.c"
#include "pfa_rand.c"
