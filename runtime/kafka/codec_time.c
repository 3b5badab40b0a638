/* codec_time.c -- dates and times of records: the run-time library's ISO
 * 8601 code (runtime/lib/datetime.c), compiled into the codec from the same
 * source the generated units carry, so the harness writes a date exactly
 * as a model reads one.  (A model reads its own inputs' text with its
 * read_text; this formats values the codec writes: outputs, and inputs
 * passed through into another format.) */
#include "base.c"
#include "text.c"
#include "datetime.c"

#include "codec_int.h"

int nvc_time_text(int type, const char *p, char *buf, size_t size)
{
    double v;
    if (type == NERVA_DATE) {
        long long d;
        memcpy(&d, p, sizeof d);
        v = (double)d;
    } else
        memcpy(&v, p, sizeof v);
    return nv_iso_write(buf, size, v, type == NERVA_DATE ? 1 : type == NERVA_TIME ? 2 : 3);
}
