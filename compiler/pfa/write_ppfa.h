/* A PFA document written as PrettyPFA (see write_ppfa.c). */
#ifndef NERVA_WRITE_PPFA_H
#define NERVA_WRITE_PPFA_H

#include "read_pfa.h"

/* doc as PrettyPFA text; returns 0, or -1 after reporting what PrettyPFA
 * cannot say (with its location) */
int write_ppfa(StrBuf *o, const PfaDoc *doc, Diags *d);

#endif
