/* The patterns of formatNumber and formatDatetime, checked and rewritten at
 * compile time.
 *
 * The standard describes both patterns by example ("%3d", "%m/%d/%y");
 * JPMML, the reference evaluator, hands them to java.util.Formatter:
 * formatNumber's as String.format(pattern, number), formatDatetime's after
 * rewriting each "%X" into "%1$tX".  Java's formatter is strict (a flag a
 * conversion does not take, a second argument, %d of a double: each is an
 * exception, and JPMML's evaluation fails), so a pattern is checked here by
 * Java's rules, and one Java would refuse is an error of the model, with
 * its line.  What is left is rewritten into the small pattern language of
 * the run-time functions (runtime/lib/format.c nv_format_number,
 * runtime/lib/datetime.c nv_format_datetime): literal text, "%%", and
 * "%[flags][width][.precision]C" with one conversion per value. */
#include "lower_pmml.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* one conversion of Java's format syntax:
   %[index$][flags][width][.precision][t|T]conversion */
typedef struct Spec {
    int index;          /* 0 ordinary, -1 relative (<), else explicit */
    char flags[8];
    int width, precision; /* -1 when absent */
    int time;           /* 't' or 'T' prefix */
    char conv;
    size_t len;         /* characters of the pattern it took */
} Spec;

/* parses a conversion at p (which is at a '%'); 0 when Java would throw
   UnknownFormatConversionException */
static int parse_spec(const char *p, Spec *sp)
{
    const char *q = p + 1, *d = q;
    memset(sp, 0, sizeof *sp);
    sp->width = sp->precision = -1;
    while (isdigit((unsigned char)*d))
        d++;
    if (d > q && *d == '$') {
        sp->index = atoi(q);
        q = d + 1;
    }
    int nf = 0;
    while (*q && strchr("-#+ 0,(<", *q)) {
        if (*q == '<')
            sp->index = -1;
        else if (nf < 7 && !strchr(sp->flags, *q))
            sp->flags[nf++] = *q;
        else if (strchr(sp->flags, *q))
            return -1; /* a duplicated flag: DuplicateFormatFlagsException */
        q++;
    }
    if (isdigit((unsigned char)*q)) {
        sp->width = atoi(q);
        while (isdigit((unsigned char)*q))
            q++;
    }
    if (*q == '.') {
        q++;
        if (!isdigit((unsigned char)*q))
            return 0;
        sp->precision = atoi(q);
        while (isdigit((unsigned char)*q))
            q++;
    }
    if (*q == 't' || *q == 'T')
        sp->time = *q++;
    if (!isalpha((unsigned char)*q) && *q != '%')
        return 0;
    sp->conv = *q;
    sp->len = (size_t)(q + 1 - p);
    return 1;
}

static int has(const Spec *sp, char f) { return strchr(sp->flags, f) != NULL; }

/* Java's checks common to every conversion that takes an argument */
static const char *common_flags(const Spec *sp)
{
    if ((has(sp, '-') || has(sp, '0')) && sp->width < 0)
        return "the flag needs a width (MissingFormatWidthException)";
    if (has(sp, '-') && has(sp, '0'))
        return "flags '-' and '0' together (IllegalFormatFlagsException)";
    if (has(sp, '+') && has(sp, ' '))
        return "flags '+' and ' ' together (IllegalFormatFlagsException)";
    return NULL;
}

/* the run-time text of a literal: '%' doubled */
static void put_literal(StrBuf *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%')
            sb_putc(o, '%');
        sb_putc(o, s[i]);
    }
}

/* Java's %% and %n with their width */
static void put_fixed(StrBuf *o, const Spec *sp, const char *text)
{
    int pad = sp->width > (int)strlen(text) ? sp->width - (int)strlen(text) : 0;
    if (!has(sp, '-'))
        for (int i = 0; i < pad; i++)
            sb_putc(o, ' ');
    put_literal(o, text, strlen(text));
    if (has(sp, '-'))
        for (int i = 0; i < pad; i++)
            sb_putc(o, ' ');
}

/* the argument a conversion takes: only the first exists */
static const char *arg_index(const Spec *sp, int *ordinary, int *last)
{
    int idx = sp->index == 0 ? ++*ordinary : sp->index == -1 ? *last : sp->index;
    if (idx != 1)
        return "a second value, which formatNumber does not have (MissingFormatArgumentException)";
    *last = idx;
    return NULL;
}

/* Copies the literal text before the next conversion at *p and parses that
   conversion into sp: 1 one was parsed (*p moves past it), 0 the pattern
   ended, else what parse_spec said of it (0 or below: not a conversion) */
static int next_spec(const char **p, StrBuf *o, Spec *sp)
{
    const char *pc = strchr(*p, '%');
    if (!pc) {
        put_literal(o, *p, strlen(*p));
        *p += strlen(*p);
        return 0;
    }
    put_literal(o, *p, (size_t)(pc - *p));
    int ok = parse_spec(pc, sp);
    if (ok > 0)
        *p = pc + sp->len;
    return ok > 0 ? 1 : ok - 1;
}

const char *lower_number_pattern(Lower *L, const XElem *at, const char *pat, int is_int)
{
    StrBuf o;
    sb_init(&o);
    int ordinary = 0, last = 0;
    const char *err = NULL;
    for (const char *p = pat; *p && !err;) {
        Spec sp;
        int ok = next_spec(&p, &o, &sp);
        if (ok <= 0) {
            if (ok < 0)
                err = ok < -1 ? "a flag given twice (DuplicateFormatFlagsException)"
                              : "not a conversion (UnknownFormatConversionException)";
            break;
        }
        char c = sp.conv;
        if (c == '%' || c == 'n') {
            if (sp.precision >= 0 || (c == 'n' && (sp.flags[0] || sp.width >= 0)))
                err = "%% and %n take no precision (IllegalFormatPrecisionException)";
            else
                put_fixed(&o, &sp, c == '%' ? "%" : "\n");
            continue;
        }
        if (sp.time) {
            err = "a date conversion of a number (IllegalFormatConversionException)";
            break;
        }
        if ((err = common_flags(&sp)) || (err = arg_index(&sp, &ordinary, &last)))
            break;
        if (sp.width > 200 || sp.precision > 60) {
            diag_error(L->d, lloc(L, at), "formatNumber pattern '%s': a width over 200 or a precision over 60 is "
                       "not supported", pat);
            sb_free(&o);
            return NULL;
        }
        switch (c) {
        case 'd':
        case 'o':
        case 'x':
        case 'X':
            if (!is_int)
                err = "an integer conversion of a value that is not an integer (IllegalFormatConversionException; "
                      "JPMML passes a double)";
            else if (sp.precision >= 0)
                err = "an integer conversion takes no precision (IllegalFormatPrecisionException)";
            else if (c == 'd' && has(&sp, '#'))
                err = "flag '#' with %d (FormatFlagsConversionMismatchException)";
            else if (c != 'd' && (has(&sp, '+') || has(&sp, ' ') || has(&sp, ',') || has(&sp, '(')))
                err = "flags '+', ' ', ',' and '(' do not go with %o and %x of an Integer "
                      "(FormatFlagsConversionMismatchException)";
            break;
        case 'e':
        case 'E':
        case 'f':
        case 'g':
        case 'G':
            if (is_int)
                err = "a floating-point conversion of an integer (IllegalFormatConversionException; JPMML passes "
                      "an Integer)";
            else if ((c == 'e' || c == 'E') && has(&sp, ','))
                err = "flag ',' with %e (FormatFlagsConversionMismatchException)";
            else if ((c == 'g' || c == 'G') && has(&sp, '#'))
                err = "flag '#' with %g (FormatFlagsConversionMismatchException)";
            break;
        case 'a':
        case 'A':
            if (is_int)
                err = "a floating-point conversion of an integer (IllegalFormatConversionException; JPMML passes "
                      "an Integer)";
            else if (has(&sp, '(') || has(&sp, ','))
                err = "flags '(' and ',' with %a (FormatFlagsConversionMismatchException)";
            break;
        case 'c':
            if (!is_int)
                err = "%c of a value that is not an integer (IllegalFormatConversionException; JPMML passes a "
                      "double)";
            else if (sp.precision >= 0)
                err = "%c takes no precision (IllegalFormatPrecisionException)";
            else if (sp.flags[0] && strcmp(sp.flags, "-"))
                err = "%c takes only the flag '-' (FormatFlagsConversionMismatchException)";
            break;
        case 's':
        case 'S':
        case 'b':
        case 'B':
        case 'h':
        case 'H':
            for (const char *f = sp.flags; *f; f++)
                if (*f != '-')
                    err = "the general conversions take only the flag '-' (FormatFlagsConversionMismatchException)";
            break;
        case 'C':
            diag_error(L->d, lloc(L, at), "formatNumber pattern '%s': conversion '%%C' is not supported (Java "
                       "uppercases the character by Unicode's full case mapping, which nerva does not carry; "
                       "'%%c' is)", pat);
            sb_free(&o);
            return NULL;
        default:
            err = NULL;
            diag_error(L->d, lloc(L, at), "formatNumber pattern '%s': conversion '%%%c' is not supported", pat, c);
            sb_free(&o);
            return NULL;
        }
        if (err)
            break;
        sb_putc(&o, '%');
        sb_puts(&o, sp.flags);
        if (sp.width >= 0)
            sb_printf(&o, "%d", sp.width);
        if (sp.precision >= 0)
            sb_printf(&o, ".%d", sp.precision);
        sb_putc(&o, c);
    }
    if (err) {
        diag_error(L->d, lloc(L, at), "formatNumber pattern '%s' fails in the reference evaluator: %s", pat, err);
        sb_free(&o);
        return NULL;
    }
    const char *r = arena_strdup(L->a, o.data ? o.data : "");
    sb_free(&o);
    return r;
}

/* Java's date and time conversions (%tX) and what each needs: 1 a date,
   2 a time of day */
static int datetime_needs(char c)
{
    if (strchr("YyCmdejBbhAaDF", c))
        return 1;
    if (strchr("HIklMSLNpRTr", c))
        return 2;
    return 0;
}

const char *lower_datetime_pattern(Lower *L, const XElem *at, const char *pat, int unit)
{
    /* JPMML's rewriting: every '%' not followed by '%' gets "1$t" after it */
    StrBuf j;
    sb_init(&j);
    size_t n = strlen(pat);
    for (size_t i = 0; i < n; i++) {
        sb_putc(&j, pat[i]);
        if (pat[i] == '%' && i + 1 < n && pat[i + 1] != '%')
            sb_puts(&j, "1$t");
    }
    const char *t = j.data ? j.data : "";
    StrBuf o;
    sb_init(&o);
    const char *err = NULL;
    for (const char *p = t; *p && !err;) {
        Spec sp;
        int ok = next_spec(&p, &o, &sp);
        if (ok <= 0) {
            if (ok < 0)
                err = "not a conversion (UnknownFormatConversionException)";
            break;
        }
        if (sp.conv == '%' && !sp.time) {
            put_fixed(&o, &sp, "%");
            continue;
        }
        if (!sp.time) {
            err = "not a date conversion";
            break;
        }
        int needs = datetime_needs(sp.conv);
        if (!needs) {
            err = strchr("zZsQc", sp.conv) ? "a conversion that needs a time zone, which PMML's dates do not have"
                                            : "not a date or time conversion (UnknownFormatConversionException)";
            break;
        }
        if ((needs == 1 && unit == 2) || (needs == 2 && unit == 1)) {
            err = needs == 1 ? "a date conversion of a time" : "a time conversion of a date";
            break;
        }
        sb_putc(&o, '%');
        sb_putc(&o, sp.conv);
    }
    if (err)
        diag_error(L->d, lloc(L, at), "formatDatetime pattern '%s' fails in the reference evaluator: %s", pat, err);
    const char *r = err ? NULL : arena_strdup(L->a, o.data ? o.data : "");
    sb_free(&j);
    sb_free(&o);
    return r;
}

/* Whether an expression's value is an integer as JPMML types it (an
   Integer, not a Double): what formatNumber's %d needs.  nerva computes
   integers as doubles, so this follows the element tree: integer fields
   and constants, and the functions JPMML gives integer results. */
int lower_is_integer(Lower *L, Scope *s, const XElem *e)
{
    if (!strcmp(e->name, "Constant")) {
        const char *dt = xattr(e, "dataType");
        if (dt)
            return !strcmp(dt, "integer");
        long long v;
        return parse_long(e->text, &v);
    }
    if (!strcmp(e->name, "FieldRef")) {
        Field *f = scope_find(s, xattr(e, "field") ? xattr(e, "field") : "");
        const FieldInfo *fi = f ? f->info : NULL;
        const char *dt = fi && fi->elem ? xattr(fi->elem, "dataType") : NULL;
        return dt && !strcmp(dt, "integer");
    }
    if (!strcmp(e->name, "Apply")) {
        const char *fn = xattr(e, "function");
        const XElem *kids[64];
        int n = lower_expr_kids(e, kids, 64), all = n > 0 && n <= 64;
        if (!fn)
            return 0;
        if (!strcmp(fn, "floor") || !strcmp(fn, "ceil") || !strcmp(fn, "round") || !strcmp(fn, "stringLength") ||
            !strcmp(fn, "dateDaysSinceYear") || !strcmp(fn, "dateSecondsSinceYear") ||
            !strcmp(fn, "dateSecondsSinceMidnight"))
            return 1;
        for (int i = 0; i < n && i < 64 && all; i++)
            all = lower_is_integer(L, s, kids[i]);
        if (!strcmp(fn, "+") || !strcmp(fn, "-") || !strcmp(fn, "*") || !strcmp(fn, "/") || !strcmp(fn, "modulo") ||
            !strcmp(fn, "min") || !strcmp(fn, "max") || !strcmp(fn, "sum") || !strcmp(fn, "product") ||
            !strcmp(fn, "abs") || !strcmp(fn, "pow") || !strcmp(fn, "threshold"))
            return all;
        if (!strcmp(fn, "if") && n >= 2) {
            for (int i = 1; i < n && i < 64; i++)
                if (!lower_is_integer(L, s, kids[i]))
                    return 0;
            return 1;
        }
    }
    return 0;
}
