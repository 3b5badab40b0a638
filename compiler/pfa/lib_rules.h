/* lib_rules.h -- what library functions require of their arguments beyond
 * their signatures (lib_rules.c). */
#ifndef NERVA_LIB_RULES_H
#define NERVA_LIB_RULES_H

#include "ir.h"

/* The rule of library function `name` that the parameter types ptypes[0..n)
   (as the signature matched them) break, as a message, or NULL. */
const char *pfa_lib_rule(Arena *a, const char *name, IrType *const *ptypes, int n);

#endif
