/* The C backend's entry: one call, emit_c(), takes an IR program and hands
 * it to the emitter of its kind (emit_program.c for PMML scorers,
 * emit_engine.c for PFA engines) after the checks every unit needs: the
 * prefix must be a C identifier and the header name safe to #include.
 * The backend knows nothing of XML or JSON: only the IR reaches it. */
#include "emit.h"

#include <ctype.h>
#include <string.h>

/* nerva's own names: the run-time library's nv_ and nerva_ (and NERVA_)
   identifiers; a model's prefix may not be one of these namespaces */
int c_prefix_reserved(const char *s)
{
    char low[8];
    size_t i;
    for (i = 0; i < sizeof low - 1 && s[i]; i++)
        low[i] = (char)tolower((unsigned char)s[i]);
    low[i] = 0;
    return !strcmp(low, "nv") || !strncmp(low, "nv_", 3) || !strcmp(low, "nerva") || !strncmp(low, "nerva_", 6) ||
           (s[0] == '_' && (s[1] == '_' || isupper((unsigned char)s[1]))); /* C's reserved identifiers */
}

/* the headers of C and POSIX that a unit or a host may include: a model's
   header of one of these names, found first on an -I path, would hide it */
static const char *const system_headers[] = {
    "assert", "complex", "ctype", "errno", "fenv", "float", "inttypes", "iso646", "limits", "locale", "math",
    "setjmp", "signal", "stdalign", "stdarg", "stdatomic", "stdbool", "stddef", "stdint", "stdio", "stdlib",
    "stdnoreturn", "string", "tgmath", "threads", "time", "uchar", "wchar", "wctype", "aio", "arpa", "cpio",
    "dirent", "dlfcn", "fcntl", "fmtmsg", "fnmatch", "ftw", "glob", "grp", "iconv", "langinfo", "libgen",
    "monetary", "mqueue", "ndbm", "netdb", "nl_types", "poll", "pthread", "pwd", "regex", "sched", "search",
    "semaphore", "spawn", "strings", "stropts", "syslog", "tar", "termios", "trace", "ulimit", "unistd", "utime",
    "utmpx", "wordexp", "alloca", "malloc", "memory", "features", "endian", "byteswap", "getopt", "err",
    "error", "execinfo", "link", "elf", "jansson", "nerva_model", "nerva_pfa_rt", NULL,
};

int c_header_shadows_system(const char *header)
{
    const char *b = strrchr(header, '/');
    b = b ? b + 1 : header;
    size_t n = strlen(b);
    if (n < 3 || strcmp(b + n - 2, ".h") != 0)
        return 0;
    for (int i = 0; system_headers[i]; i++)
        if (strlen(system_headers[i]) == n - 2 && !strncmp(b, system_headers[i], n - 2))
            return 1;
    return 0;
}

const char *c_prefix_from_path(Arena *a, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    char *p = arena_alloc(a, n + 3);
    size_t j = 0;
    for (size_t i = 0; i < n; i++)
        p[j++] = isalnum((unsigned char)base[i]) ? (char)tolower((unsigned char)base[i]) : '_';
    p[j] = 0;
    /* a leading digit, or one of nerva's namespaces: m_ in front */
    if (n == 0 || isdigit((unsigned char)base[0]) || c_prefix_reserved(p))
        return arena_printf(a, "m_%s", p);
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
    if (c_prefix_reserved(o->prefix)) {
        diag_error(d, (Loc){.file = p->source}, "prefix '%s' would collide with nerva's own names (nv_..., "
                   "nerva_..., NERVA_...) or C's reserved ones (_X..., __...); choose another with --prefix",
                   o->prefix);
        return 1;
    }
    if (c_header_shadows_system(o->header_name)) {
        diag_error(d, (Loc){.file = p->source}, "the header '%s' would hide the system header <%s> where its "
                   "directory is on the include path; name the output otherwise (-o NAME.c or --header NAME.h)",
                   o->header_name, o->header_name);
        return 1;
    }
    if (!valid_header_name(o->header_name)) {
        diag_error(d, (Loc){.file = p->source}, "header name '%s' has characters nerva will not "
                   "put in an #include", o->header_name ? o->header_name : "");
        return 1;
    }
    return p->eng ? emit_engine(p, o, d, c, h) : emit_program(p, o, d, c, h);
}
