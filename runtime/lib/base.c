/* base.c -- the first lines of every unit nerva generates: the C library
 * headers the run-time library uses, and the two macros every library
 * function is declared with.
 *
 * Why it looks like this: the files of runtime/lib/ are real C that compiles
 * (lib.c includes them all, and the unit tests compile that), and they are
 * also the text that nerva copies into generated units.  Each file is cut
 * into sections by marker comments (a comment whose text begins with
 * "@ section NAME", optionally followed by "needs DEP ..."); a unit carries
 * the sections it needs, with their dependencies, in the order of lib.c, and
 * of those only the functions it calls (compiler/c/rtlib.c).  A function is
 * a line that begins with NV_RT through the next line that is a lone "}":
 * that is how the pruner sees it, so keep that shape.  NV_RT is
 * "static, maybe unused", so a unit that keeps a part of a section compiles
 * without warnings; a shared runtime (nerva runtime) defines it empty. */

/*@ section prelude */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__GNUC__) || defined(__clang__)
#define NV_UNUSED __attribute__((unused))
#define NV_NORETURN __attribute__((noreturn))
#define NV_NOINLINE __attribute__((noinline)) /* the parts of a big score function stay apart */
#else
#define NV_UNUSED
#define NV_NORETURN
#define NV_NOINLINE
#endif
#ifndef NV_RT
#define NV_RT static NV_UNUSED /* a shared runtime (nerva runtime) defines it empty */
#endif

