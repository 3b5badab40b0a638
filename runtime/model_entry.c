/* model_entry.c -- compiled into every shared object `nerva compile --shared`
 * makes, beside the generated model, so that a host that dlopens any model
 * finds its descriptor through one fixed symbol:
 *
 *   const nerva_model *nerva_model_entry(void);
 *
 * The generated code itself stays as it is (its descriptor is named after the
 * model's prefix); the object is built with -fvisibility=hidden, so this is
 * the only symbol it exports.  Build:
 *
 *   cc -std=c99 -fPIC -shared -fvisibility=hidden -I<dir> model.c \
 *      model_entry.c -DNERVA_ENTRY=<prefix>_model -o model.so -lm
 */
#include "nerva_model.h"

#ifndef NERVA_ENTRY
#error "compile with -DNERVA_ENTRY=<the nerva_model object of the generated model>"
#endif

extern const nerva_model NERVA_ENTRY;

#if defined(__GNUC__)
__attribute__((visibility("default")))
#endif
const nerva_model *nerva_model_entry(void);

const nerva_model *nerva_model_entry(void)
{
    return &NERVA_ENTRY;
}
