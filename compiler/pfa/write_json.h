/* JSON trees (read_pfa.h's JVal) written as JSON text. */
#ifndef NERVA_WRITE_JSON_H
#define NERVA_WRITE_JSON_H

#include "read_pfa.h"

/* v as JSON; pretty: indented, a value on one line when it fits in 100 columns */
void json_write(StrBuf *o, const JVal *v, int pretty);

/* a double as JSON: shortest round-trip form, with '.' or an exponent */
void json_write_double(StrBuf *o, double d);

#endif
