/* PFA to the IR: a type-checked document becomes an engine (IrProgram.eng). */
#ifndef NERVA_LOWER_PFA_H
#define NERVA_LOWER_PFA_H

#include "ir.h"
#include "typecheck.h"

IrProgram *lower_pfa(Arena *a, Diags *d, PfaProgram *p, const char *path);

#endif
