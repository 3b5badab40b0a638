/* model_entry.c -- compiled into every shared object `nerva compile --shared`
 * makes, beside the generated model, so that a host that dlopens any model
 * finds its descriptor through one fixed symbol:
 *
 *   const nerva_model *nerva_model_entry(void);     (PMML: a stateless scorer)
 *   const nerva_pfa *nerva_pfa_entry(void);         (PFA: an engine with state)
 *
 * The generated code itself stays as it is (its descriptor is named after the
 * model's prefix); the object is built with -fvisibility=hidden, so this is
 * the only symbol it exports.  Build:
 *
 *   cc -std=c99 -fPIC -shared -fvisibility=hidden -I<dir> model.c \
 *      model_entry.c -DNERVA_ENTRY=<prefix>_model -o model.so -lm
 *   (a PFA engine: -DNERVA_PFA_ENTRY=<prefix>_pfa)
 */
#include "nerva_model.h"

#if defined(__GNUC__)
#define NERVA_EXPORT __attribute__((visibility("default")))
#else
#define NERVA_EXPORT
#endif

#if defined(NERVA_PFA_ENTRY)
extern const nerva_pfa NERVA_PFA_ENTRY;

NERVA_EXPORT const nerva_pfa *nerva_pfa_entry(void);

const nerva_pfa *nerva_pfa_entry(void)
{
    return &NERVA_PFA_ENTRY;
}
#elif defined(NERVA_ENTRY)
extern const nerva_model NERVA_ENTRY;

NERVA_EXPORT const nerva_model *nerva_model_entry(void);

const nerva_model *nerva_model_entry(void)
{
    return &NERVA_ENTRY;
}
#else
#error "compile with -DNERVA_ENTRY=<the nerva_model of the generated model> or -DNERVA_PFA_ENTRY=<its nerva_pfa>"
#endif
