/* The run-time library as the C backend sees it (see rtlib.c). */
#ifndef NERVA_RTLIB_H
#define NERVA_RTLIB_H

#include "util.h"

typedef struct RtLib RtLib;

/* every section of every file of runtime/lib/ (embedded in nerva), in order */
RtLib *rt_load(Arena *a);
/* a unit needs section `name` (and what it needs); unknown names are
   internal errors */
void rt_need(RtLib *L, const char *name);
/* the library function `fn` (an NV_RT function of some section): its
   section is needed; returns fn, or NULL when the library has no such
   function */
const char *rt_function(RtLib *L, const char *fn);
/* the needed sections, in library order, each function kept only when
   `uses` (the rest of the unit) or another kept part of the library names
   it; the text goes to out */
void rt_emit(RtLib *L, const char *uses, StrBuf *out);
/* one section's text as it is (header blocks: model_abi, pfa_abi) */
const char *rt_section(RtLib *L, const char *name);
/* the sections of the files named (NULL-terminated) and what they need,
   as one unit of extern functions (c) and its header of declarations and
   types (h): the shared runtime of `nerva runtime` */
void rt_emit_shared(RtLib *L, const char *const *files, StrBuf *c, StrBuf *h);

#endif
