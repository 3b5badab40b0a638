/* The parts of the run-time library (runtime/lib/) that the compiler runs
 * itself, compiled into it from the same source: a date constant of the
 * model is read here exactly as the generated code reads a date of a
 * record, so the two can never disagree. */
#include "base.c"
#include "text.c"
#include "datetime.c"

#include "rt_shared.h"

int rt_iso_read(const char *s, int unit, int since, double *out)
{
    return nv_iso_read(s, unit, since, out);
}
