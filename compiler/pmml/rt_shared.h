/* The run-time library's functions the compiler itself calls (rt_shared.c). */
#ifndef NERVA_RT_SHARED_H
#define NERVA_RT_SHARED_H

/* ISO 8601 text of a date (unit 1: days since 1970-01-01), time (2:
   seconds since midnight; since: timeSeconds' [-]h:mm:ss) or dateTime (3:
   seconds since 1970-01-01T00:00:00); 1 when s is such text */
int rt_iso_read(const char *s, int unit, int since, double *out);

#endif
