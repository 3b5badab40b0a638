/* lib_rules.c -- the rules that some library functions set for the record
 * types they are given, beyond what libfcns.xml's signatures express: a
 * signature says "a record with at least these fields", and the function's
 * text adds optional fields with required types, or fields that go
 * together.  The type checker (typecheck.c) applies these after a call
 * matched its signature, so a document that breaks them is refused when it
 * is compiled, as the spec's semantic errors are, rather than failing on
 * some record at run time.
 *
 * The rules, from the functions' descriptions:
 *   stat.sample.update, updateWindow: "mean" and "variance" are doubles if
 *     present, and "variance" needs "mean";
 *   stat.sample.updateEWMA: "variance" is a double if present;
 *   stat.sample.forecast1HoltWinters, forecastHoltWinters: "cycle" (an
 *     array of doubles) and "multiplicative" (a boolean) go together;
 *   stat.sample.fillHistogram: exactly one of the field sets {numbins, low,
 *     high}, {low, binsize}, {ranges}; the counters underflow, overflow,
 *     nanflow and infflow are doubles if present;
 *   stat.sample.fillHistogram2d: its nine counters are doubles if present;
 *   model.reg.gaussianProcess: "sigma", if present, has the type of "to". */
#include "lib_rules.h"

#include <string.h>

/* the type of field f of record type r, or NULL */
static IrType *field(const IrType *r, const char *f)
{
    if (!r || r->kind != T_RECORD)
        return NULL;
    for (int i = 0; i < r->nsymbols; i++)
        if (!strcmp(r->symbols[i], f))
            return r->ftypes[i];
    return NULL;
}

/* a field that must be a double if present */
static const char *double_field(Arena *a, const char *fn, const IrType *r, const char *f)
{
    IrType *t = field(r, f);
    if (t && !ir_accepts(t, ir_type(T_DOUBLE)))
        return arena_printf(a, "%s: the \"%s\" field of the state record must be a double, not %s", fn, f,
                            ir_type_name(t));
    return NULL;
}

static const char *mean_variance(Arena *a, const char *fn, const IrType *r)
{
    const char *why = double_field(a, fn, r, "mean");
    if (!why)
        why = double_field(a, fn, r, "variance");
    if (!why && field(r, "variance") && !field(r, "mean"))
        why = arena_printf(a, "%s: a state record with \"variance\" must also have \"mean\"", fn);
    return why;
}

static const char *holt_winters(Arena *a, const char *fn, const IrType *r)
{
    IrType *c = field(r, "cycle"), *m = field(r, "multiplicative");
    IrType dbl_array = {.kind = T_ARRAY, .items = ir_type(T_DOUBLE)};
    if (c && !ir_accepts(c, &dbl_array))
        return arena_printf(a, "%s: the \"cycle\" field must be an array of doubles, not %s", fn, ir_type_name(c));
    if (m && !ir_accepts(m, ir_type(T_BOOL)))
        return arena_printf(a, "%s: the \"multiplicative\" field must be a boolean, not %s", fn, ir_type_name(m));
    if (!c != !m)
        return arena_printf(a, "%s: a state record with \"cycle\" needs \"multiplicative\", and the other way round",
                            fn);
    return NULL;
}

static const char *counters(Arena *a, const char *fn, const IrType *r, const char *const *names)
{
    for (const char *const *f = names; *f; f++) {
        const char *why = double_field(a, fn, r, *f);
        if (why)
            return why;
    }
    return NULL;
}

const char *pfa_lib_rule(Arena *a, const char *name, IrType *const *p, int n)
{
    static const char *const flows[] = {"underflow", "overflow", "nanflow", "infflow", NULL};
    static const char *const flows2d[] = {"underunderflow", "undermidflow", "underoverflow", "midunderflow",
                                          "midoverflow", "overunderflow", "overmidflow", "overoverflow",
                                          "nanflow", "infflow", NULL};
    if (!strcmp(name, "stat.sample.update") && n == 3)
        return mean_variance(a, name, p[2]);
    if (!strcmp(name, "stat.sample.updateWindow") && n == 4 && p[2]->kind == T_ARRAY)
        return mean_variance(a, name, p[2]->items);
    if (!strcmp(name, "stat.sample.updateEWMA") && n == 3)
        return double_field(a, name, p[2], "variance");
    if (!strcmp(name, "stat.sample.forecast1HoltWinters") && n == 1)
        return holt_winters(a, name, p[0]);
    if (!strcmp(name, "stat.sample.forecastHoltWinters") && n == 2)
        return holt_winters(a, name, p[1]);
    if (!strcmp(name, "stat.sample.fillHistogram") && n == 3) {
        const IrType *r = p[2];
        int fixed = field(r, "numbins") && field(r, "low") && field(r, "high");
        int grow = field(r, "low") && field(r, "binsize");
        int ranges = field(r, "ranges") != NULL;
        if (fixed + grow + ranges != 1)
            return arena_printf(a, "%s: the histogram record must have \"numbins\", \"low\" and \"high\", or \"low\" "
                                   "and \"binsize\", or \"ranges\": exactly one of these", name);
        return counters(a, name, r, flows);
    }
    if (!strcmp(name, "stat.sample.fillHistogram2d") && n == 4)
        return counters(a, name, p[3], flows2d);
    if (!strcmp(name, "model.reg.gaussianProcess") && n == 4 && p[1]->kind == T_ARRAY) {
        IrType *to = field(p[1]->items, "to"), *sigma = field(p[1]->items, "sigma");
        if (sigma && to && !ir_type_eq(sigma, to))
            return arena_printf(a, "%s: the \"sigma\" field of the table must have the type of \"to\" (%s), not %s",
                                name, ir_type_name(to), ir_type_name(sigma));
    }
    return NULL;
}
