/* The C backend's entry: one call, emit_c(), takes an IR program and hands
 * it to the emitter of its kind (emit_program.c for PMML scorers,
 * emit_engine.c for PFA engines) after the checks every unit needs: the
 * prefix must be a C identifier and the header name safe to #include.
 * The backend knows nothing of XML or JSON: only the IR reaches it. */
#include "emit.h"

#include <ctype.h>
#include <string.h>

const char *c_prefix_from_path(Arena *a, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    char *p = arena_alloc(a, n + 3);
    size_t j = 0;
    if (n == 0 || isdigit((unsigned char)base[0]))
        p[j++] = 'm', p[j++] = '_';
    for (size_t i = 0; i < n; i++)
        p[j++] = isalnum((unsigned char)base[i]) ? (char)tolower((unsigned char)base[i]) : '_';
    p[j] = 0;
    return p;
}

static int valid_ident(const char *s)
{
    if (!s || !*s || isdigit((unsigned char)*s))
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return 0;
    return 1;
}

static int valid_header_name(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("._-/+", *s))
            return 0;
    return 1;
}

int emit_c(const IrProgram *p, const EmitOptions *o, Diags *d, StrBuf *c, StrBuf *h)
{
    if (!valid_ident(o->prefix)) {
        diag_error(d, (Loc){.file = p->source}, "prefix '%s' is not a C identifier", o->prefix ? o->prefix : "");
        return 1;
    }
    if (!valid_header_name(o->header_name)) {
        diag_error(d, (Loc){.file = p->source}, "header name '%s' has characters nerva will not "
                   "put in an #include", o->header_name ? o->header_name : "");
        return 1;
    }
    return p->eng ? emit_engine(p, o, d, c, h) : emit_program(p, o, d, c, h);
}
