/* `nerva convert`: PrettyPFA to PFA's JSON and back (see convert.c). */
#ifndef NERVA_CONVERT_H
#define NERVA_CONVERT_H

/* model: the input file (.ppfa is PrettyPFA, anything else JSON); out: the
 * output file, NULL or "-" for the standard output; to: "pfa"/"json" or
 * "ppfa", NULL for the other syntax than the input's.  Returns nerva's exit
 * code (0 ok, 1 bad model, 2 usage, 3 cannot write). */
int cmd_convert(const char *model, const char *out, const char *to);

#endif
