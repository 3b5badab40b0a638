/* Unit tests of PMML's run-time functions (runtime/lib/ datetime.c,
 * format.c, regex.c, textindex.c, state.c, and kernels.c's aggregates and
 * normal distribution), compiled here as ordinary C through lib.c; regexes
 * are compiled by the compiler's own regex.c (linked from nerva_lib).
 *
 * Why: these are copied into every unit that uses them; a wrong day or
 * digit here is a wrong score everywhere.  References are independent of
 * nerva: Python's datetime and mpmath (tools/gen_pmml_vectors.py ->
 * pmml_vectors.h), Java's documented behaviour (java.util.Formatter,
 * java.util.regex.Matcher.replaceAll, java.time), JPMML's own test values,
 * and small cases worked out by hand. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"
#include "lib.c"
#include "pmml_vectors.h"

static char scratch_buf[1 << 18];
static nv_scratch scratch(void)
{
    nv_scratch S = {scratch_buf, 0, sizeof scratch_buf, 0};
    return S;
}

static double ulps(double got, double want)
{
    if (got == want)
        return 0;
    double w = fabs(want);
    return fabs(got - want) / (nextafter(w, INFINITY) - w);
}

/* ---- dates and times ---- */
START_TEST(test_calendar)
{
    char buf[64];
    for (size_t i = 0; i < sizeof vec_dates / sizeof *vec_dates; i++) {
        int64_t y, m, d;
        double v;
        nv_civil_from_days(vec_dates[i].days, &y, &m, &d);
        ck_assert_msg(y == vec_dates[i].y && m == vec_dates[i].m && d == vec_dates[i].d, "day %lld",
                      vec_dates[i].days);
        ck_assert_int_eq(nv_days_from_civil(y, m, d), vec_dates[i].days);
        ck_assert_msg(nv_iso_read(vec_dates[i].iso, 1, 0, &v) && v == (double)vec_dates[i].days, "%s",
                      vec_dates[i].iso);
        nv_iso_write(buf, sizeof buf, v, 1);
        ck_assert_str_eq(buf, vec_dates[i].iso);
    }
    /* before year 1 (Python's datetime stops there): year 0 is a leap year,
       400 years are 146097 days */
    ck_assert_int_eq(nv_days_from_civil(0, 1, 1), -719528);
    ck_assert_int_eq(nv_days_from_civil(-1, 12, 31), -719529);
    ck_assert_int_eq(nv_days_from_civil(0, 3, 1), -719468);
    ck_assert_int_eq(nv_days_from_civil(-400, 3, 1), -719468 - 146097);
    {
        int64_t y, m, d;
        nv_civil_from_days(-719468 - 146097, &y, &m, &d);
        ck_assert(y == -400 && m == 3 && d == 1);
    }
    for (size_t i = 0; i < sizeof vec_datetimes / sizeof *vec_datetimes; i++) {
        double v, t;
        ck_assert_msg(nv_iso_read(vec_datetimes[i].iso, 3, 0, &v) && fabs(v - vec_datetimes[i].secs) < 1e-6, "%s",
                      vec_datetimes[i].iso);
        nv_iso_write(buf, sizeof buf, vec_datetimes[i].secs, 3);
        ck_assert_str_eq(buf, vec_datetimes[i].iso);
        ck_assert(nv_iso_read(vec_datetimes[i].time, 2, 0, &t));
        nv_iso_write(buf, sizeof buf, t, 2);
        ck_assert_str_eq(buf, vec_datetimes[i].time);
    }
}
END_TEST

START_TEST(test_iso_refused)
{
    static const char *const bad_dates[] = {"2004-02-30", "2003-02-29", "2004-2-01", "04-02-01", "2004-13-01",
                                            "2004-02-01x", "", "+2004-01-01", "2004/02/01"};
    static const char *const bad_times[] = {"24:00", "12:60", "1:00", "12:00:60", "12:00:00.", "12:00:00.1234567891"};
    static const char *const bad_dts[] = {"2004-02-01 12:00", "2004-02-01", "2004-02-01T12", "2004-02-01T12:00Z"};
    static const char *const bad_secs[] = {"1:00", "12345:00:00", "1:60:00", "+1:00:00"};
    double v;
    for (size_t i = 0; i < sizeof bad_dates / sizeof *bad_dates; i++)
        ck_assert_msg(!nv_iso_read(bad_dates[i], 1, 0, &v), "%s", bad_dates[i]);
    for (size_t i = 0; i < sizeof bad_times / sizeof *bad_times; i++)
        ck_assert_msg(!nv_iso_read(bad_times[i], 2, 0, &v), "%s", bad_times[i]);
    for (size_t i = 0; i < sizeof bad_dts / sizeof *bad_dts; i++)
        ck_assert_msg(!nv_iso_read(bad_dts[i], 3, 0, &v), "%s", bad_dts[i]);
    for (size_t i = 0; i < sizeof bad_secs / sizeof *bad_secs; i++)
        ck_assert_msg(!nv_iso_read(bad_secs[i], 2, 1, &v), "%s", bad_secs[i]);
    /* timeSeconds: JPMML's [-]h:mm:ss, hours past 24 */
    ck_assert(nv_iso_read("-1:00:00", 2, 1, &v) && v == -3600);
    ck_assert(nv_iso_read("1234:00:01", 2, 1, &v) && v == 1234 * 3600.0 + 1);
    /* years beyond four digits carry a sign, as Java writes them */
    ck_assert(nv_iso_read("+10000-01-01", 1, 0, &v) && v == (double)nv_days_from_civil(10000, 1, 1));
    ck_assert(nv_iso_read("-0001-12-31", 1, 0, &v) && v == (double)nv_days_from_civil(-1, 12, 31));
}
END_TEST

START_TEST(test_date_functions)
{
    nv_scratch S = scratch();
    double off60 = 3653; /* dateDaysSince[1960]: days since 1970 + 3653 */
    /* JPMML's FunctionTest: 2003-04-01 is 15796 days after 1960; 05:23:30 is
       19410 s after midnight; 1960-01-03T03:30:03 is 185403 s after 1960 */
    ck_assert(nv_days_since_year((double)nv_days_from_civil(2003, 4, 1), 1, 0, 1960) == 15796);
    ck_assert(nv_days_since_year((double)nv_days_from_civil(2003, 4, 1) * 86400, 3, 0, 1960) == 15796);
    ck_assert(nv_seconds_since_midnight(5 * 3600 + 23 * 60 + 30, 2, 0) == 19410);
    ck_assert(nv_seconds_since_midnight((double)nv_days_from_civil(1960, 1, 1) * 86400 + 19410, 3, 0) == 19410);
    ck_assert(nv_seconds_since_year((double)nv_days_from_civil(1960, 1, 3) * 86400 + 12603, 3, 0, 1960) == 185403);
    /* whole seconds: toward zero before the epoch year */
    ck_assert(nv_seconds_since_year((double)nv_days_from_civil(1960, 1, 1) * 86400 - 0.5, 3, 0, 1960) == 0);
    /* conversions: a dateDaysSince[1960] value as a date and as a dateTime */
    ck_assert(nv_tm_convert(off60 + 1, 1, off60, 1, 0) == 1);
    ck_assert(nv_tm_convert(off60 + 1, 1, off60, 3, 0) == 86400);
    ck_assert(nv_tm_convert(86400 * 2 + 5, 3, 0, 2, 0) == 5);
    ck_assert(nv_tm_convert(-1, 3, 0, 1, 0) == -1);
    ck_assert(isnan(nv_tm_convert(5, 2, 0, 1, 0)));
    ck_assert_str_eq(nv_tm_text(&S, off60 + 1, 1, 1, off60), "3654");
    ck_assert_str_eq(nv_tm_text(&S, 1, 1, 0, 0), "1970-01-02");
    for (size_t i = 0; i < sizeof vec_formats / sizeof *vec_formats; i++) {
        const char *t = nv_format_datetime(&S, (double)vec_formats[i].days, 1, 0, "%A %B %e %j %a %b %y %C");
        ck_assert_str_eq(t, vec_formats[i].text);
    }
    double dt = (double)nv_days_from_civil(2004, 8, 20) * 86400 + 14 * 3600 + 5 * 60 + 9.123;
    ck_assert_str_eq(nv_format_datetime(&S, dt, 3, 0, "%H %I %k %l %M %S %L %N %p %R %T %r %D %F %%"),
                     "14 02 14 2 05 09 123 123000000 pm 14:05 14:05:09 02:05:09 PM 08/20/04 2004-08-20 %");
    ck_assert_str_eq(nv_format_datetime(&S, 0, 2, 0, "%I %l %p"), "12 12 am");
}
END_TEST

/* ---- numbers ---- */
START_TEST(test_normal_distribution)
{
    double worst_cdf = 0, worst_pdf = 0, worst_idf = 0;
    for (size_t i = 0; i < sizeof vec_normal / sizeof *vec_normal; i++) {
        const double *v = vec_normal[i];
        double z = (v[0] - v[1]) / v[2];
        double c = nv_normal_cdf(v[0], v[1], v[2]), p = nv_normal_pdf(v[0], v[1], v[2]);
        /* the stated bounds: the CDF as nv_stdnorm_cdf's plus the rounding of
           x - mu (relative to the result's scale); the PDF 2 (1 + z^2 +
           |ln sigma|) ulps, as kernels.c states */
        double bc = (z >= -1 ? 2 : 1.5 * (1 + z * z)) + 4 * fabs(z) * (fabs(v[1]) / v[2] + 1);
        double bp = 2 * (1 + z * z + fabs(log(v[2])));
        ck_assert_msg(fabs(c - v[3]) <= 0x1p-53 || ulps(c, v[3]) <= bc, "normalCDF(%a, %a, %a) = %a, want %a (%g ulps)",
                      v[0], v[1], v[2], c, v[3], ulps(c, v[3]));
        ck_assert_msg(ulps(p, v[4]) <= bp, "normalPDF(%a, %a, %a) = %a, want %a (%g ulps, bound %g)", v[0], v[1], v[2], p,
                      v[4], ulps(p, v[4]), bp);
        if (ulps(c, v[3]) > worst_cdf) worst_cdf = ulps(c, v[3]);
        if (ulps(p, v[4]) > worst_pdf) worst_pdf = ulps(p, v[4]);
    }
    for (size_t i = 0; i < sizeof vec_normal_idf / sizeof *vec_normal_idf; i++) {
        const double *v = vec_normal_idf[i];
        double x = nv_normal_idf(v[0], v[1], v[2]);
        /* 3 ulps of the standard quantile, then a product and a sum: relative
           to the larger of |mu| and |sigma z| */
        double scale = fmax(fabs(v[1]), fabs(v[3] - v[1]));
        ck_assert_msg(fabs(x - v[3]) <= 4 * 0x1p-52 * scale, "normalIDF(%a, %a, %a) = %a, want %a", v[0], v[1], v[2],
                      x, v[3]);
        if (fabs(x - v[3]) / (0x1p-52 * scale) > worst_idf) worst_idf = fabs(x - v[3]) / (0x1p-52 * scale);
    }
    ck_assert(isnan(nv_normal_cdf(0, 0, 0)) && isnan(nv_normal_pdf(0, 0, -1)) && isnan(nv_normal_idf(0.5, 0, 0)));
    ck_assert(nv_normal_cdf(-100, 0, 1) == 0 && nv_normal_cdf(100, 0, 1) == 1);
    /* JPMML's FunctionTest: normalCDF(0, 1, 2), normalPDF(0, 1, 2) */
    ck_assert(fabs(nv_normal_cdf(0, 1, 2) - 0.30853754) < 1e-8 && fabs(nv_normal_pdf(0, 1, 2) - 0.17603266) < 1e-8);
    (void)worst_cdf;
    (void)worst_pdf;
    (void)worst_idf;
}
END_TEST

START_TEST(test_aggregates)
{
    double v[6], out = -1;
    unsigned char miss[6] = {1, 0, 0, 0, 1, 1};
    /* JPMML: (missing, 1, 2, 3): missing values ignored */
    double base[6] = {0, 1, 2, 3, 0, 0};
    static const double want[] = {1, 3, 6, 2, 6, 2};
    for (int op = 0; op < 6; op++) {
        memcpy(v, base, sizeof v);
        ck_assert(nv_agg(op, v, miss, 6, &out) == 1);
        ck_assert_msg(out == want[op], "op %d: %g", op, out);
    }
    unsigned char all[3] = {1, 1, 1};
    ck_assert(nv_agg(2, v, all, 3, &out) == 0);
    /* the median of an even count: the mean of the middle two (pmml4s) */
    double m4[4] = {1, 3, 2, 4};
    unsigned char none[4] = {0};
    ck_assert(nv_agg(5, m4, none, 4, &out) == 1 && out == 2.5);
    /* the mean as commons-math updates it, exact where the sum would round */
    double big[3] = {1e308, 1e308, 1e308};
    ck_assert(nv_agg(3, big, none, 3, &out) == 1 && out == 1e308);
    /* a Lag's sample standard deviation (n - 1) */
    double s[8] = {2, 4, 4, 4, 5, 5, 7, 9};
    unsigned char sm[8] = {0};
    ck_assert(nv_lag_agg(6, s, sm, 8, &out) && fabs(out - sqrt(32.0 / 7)) < 1e-15);
    ck_assert(nv_lag_agg(6, s, sm, 1, &out) && out == 0);
}
END_TEST

/* formatNumber: Java's Formatter (its documentation's rules: the digits of
   Double.toString rounded half up, %g's zeros kept, Integer's 32 bits) */
START_TEST(test_format_number)
{
    nv_scratch S = scratch();
    static const struct { double v; int kind; const char *pat, *want; } c[] = {
        {0.15, 0, "%.1f", "0.2"},            /* printf: 0.1 */
        {0.125, 0, "%.2f", "0.13"},          /* printf: 0.12 */
        {1.005, 0, "%.2f", "1.01"},          /* printf: 1.00 */
        {2.5, 0, "%.0f", "3"},
        {0.0004, 0, "%.2f", "0.00"},
        {0.009, 0, "%.2f", "0.01"},
        {9.999, 0, "%.2f", "10.00"},
        {123456.789, 0, "%,.2f", "123,456.79"},
        {-3.5, 0, "%(08.1f", "(0003.5)"},
        {3, 0, "%#.0f", "3."},
        {0, 0, "%e", "0.000000e+00"},
        {12345.678, 0, "%.3e", "1.235e+04"},
        {-0.0, 0, "%.1f", "-0.0"},
        {0.0001, 0, "%g", "0.000100000"},
        {0.00001, 0, "%g", "1.00000e-05"},
        {123456, 0, "%g", "123456"},
        {1234567, 0, "%g", "1.23457e+06"},
        {0, 0, "%g", "0.00000"},
        {100, 0, "%s", "100.0"},
        {1e7, 0, "%s", "1.0E7"},
        {0.001, 0, "%s", "0.001"},
        {1e-4, 0, "%S", "1.0E-4"},
        {0.1f, 1, "%s", "0.1"},
        {NAN, 0, "%8.2f", "     NaN"},
        {-INFINITY, 0, "%(f", "(Infinity)"},
        {INFINITY, 0, "%+e", "+Infinity"},
        {42, 2, "%5d|%-5d|%05d|%+d|% d", "   42|42   |00042|+42| 42"},
        {-255, 2, "%x %X %#x %o %#o %08x", "ffffff01 FFFFFF01 0xffffff01 37777777401 037777777401 ffffff01"},
        {1234567, 2, "%,d %s %b %.3s", "1,234,567 1234567 true 123"},
        {-1234, 2, "%(,d", "(1,234)"},
        {7, 2, "%%|%d%%", "%|7%"},
        /* %a: Java's hexDouble, rounded half even on the bits (outputs of
           Java 17's String.format) */
        {1.0, 0, "%a", "0x1.0p0"},
        {-0.0, 0, "%a", "-0x0.0p0"},
        {0.1, 0, "%a|%.2a|%.0a|%.13a|%A", "0x1.999999999999ap-4|0x1.9ap-4|0x1.ap-4|0x1.999999999999ap-4|0X1.999999999999AP-4"},
        {1.5, 0, "%.20a", "0x1.80000000000000000000p0"},
        {-0.1, 0, "%030a", "-0x0000000001.999999999999ap-4"},
        {0.1, 0, "%+030.2a", "+0x000000000000000000001.9ap-4"},
        {1.0, 0, "%030.5a", "0x000000000000000000000001.00000p0"}, /* the zeros before count without the after */
        {0x1p-1074, 0, "%a|%.3a", "0x0.0000000000001p-1022|0x1.000p-1074"},
        {0x0.03739a252b281p-1022, 0, "%a|%.3a", "0x0.03739a252b281p-1022|0x1.b9dp-1029"},
        {DBL_MAX, 0, "%.1a", "0x1.0p1024"},
        {1.96875, 0, "%.1a", "0x1.0p1"},
        {1.03125, 0, "%.1a", "0x1.0p0"}, /* a tie to even */
        {1.09375, 0, "%.1a", "0x1.2p0"},
        {1.1875, 0, "%.1a", "0x1.3p0"},
        {NAN, 0, "%030a", "                           NaN"},
        {-INFINITY, 0, "%-12a|", "-Infinity   |"},
        {0.1f, 1, "%a|%.2a", "0x1.99999ap-4|0x1.9ap-4"},
        /* %h: the hashCode of the Double, Float or Integer JPMML passes */
        {1.0, 0, "%h", "3ff00000"},
        {0.1, 0, "%H|%.3h", "A6200003|a62"},
        {NAN, 0, "%h", "7ff80000"},
        {-0.0, 0, "%h", "80000000"},
        {0.1f, 1, "%h", "3dcccccd"},
        {NAN, 1, "%h", "7fc00000"},
        {-1, 2, "%-9h|", "ffffffff |"},
        {255, 2, "%h", "ff"},
        /* %c: an Integer's code point; the width counts UTF-16 units */
        {65, 2, "%c", "A"},
        {233, 2, "%c", "\xc3\xa9"},
        {0x20AC, 2, "%2c", " \xe2\x82\xac"},
        {0x1F600, 2, "%3c|%-3c", " \xf0\x9f\x98\x80|\xf0\x9f\x98\x80 "},
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        const char *got = nv_format_number(&S, c[i].v, c[i].kind, c[i].pat);
        ck_assert_msg(got && !strcmp(got, c[i].want), "formatNumber(%g, \"%s\") = \"%s\", want \"%s\"", c[i].v, c[i].pat,
                      got ? got : "(null)", c[i].want);
    }
    /* an integer conversion of a value that is no 32-bit integer: missing */
    ck_assert(nv_format_number(&S, 2.5, 2, "%d") == NULL);
    ck_assert(nv_format_number(&S, 4294967296.0, 2, "%d") == NULL);
    /* a code point Java refuses (IllegalFormatCodePointException), a
       surrogate or a NUL (no C string holds them): missing */
    ck_assert(nv_format_number(&S, -1, 2, "%c") == NULL);
    ck_assert(nv_format_number(&S, 0x110000, 2, "%c") == NULL);
    ck_assert(nv_format_number(&S, 0xD800, 2, "%c") == NULL);
    ck_assert(nv_format_number(&S, 0, 2, "%c") == NULL);
}
END_TEST

/* ---- regular expressions ---- */
static nv_rx compile(Arena *a, const char *pat, int caseless, int ncap)
{
    static const int opmap[RE__COUNT] = {
#define X(k) [RE_##k] = NV_RX_##k,
        IR_RE_OPS(X)
#undef X
    };
    char err[300];
    IrRegex *re = ir_regex(a, pat, caseless, 0, err, sizeof err);
    ck_assert_msg(re != NULL, "/%s/: %s", pat, err);
    int *prog = ARENA_ARRAY(a, int, 3 * re->ninst);
    for (int i = 0; i < re->ninst; i++) {
        prog[3 * i] = opmap[re->prog[3 * i]];
        prog[3 * i + 1] = re->prog[3 * i + 1];
        prog[3 * i + 2] = re->prog[3 * i + 2];
    }
    nv_rx rx = {prog, re->cls, re->ninst, ncap};
    return rx;
}

/* a run-time template: \001 (g + 1) for group g */
static const char *tmpl(char *buf, const char *s)
{
    char *o = buf;
    for (; *s; s++)
        if (*s == '$') {
            *o++ = 1;
            *o++ = (char)(*++s - '0' + 1);
        } else
            *o++ = *s;
    *o = 0;
    return buf;
}

START_TEST(test_regex_replace)
{
    Arena a;
    arena_init(&a);
    nv_scratch S = scratch();
    char t[64];
    /* Java's replaceAll: an empty match, then the search moves one character on */
    nv_rx x = compile(&a, "b*", 0, 2);
    ck_assert_str_eq(nv_rx_replace(&S, &x, "abc", tmpl(t, "-")), "-a--c-");
    nv_rx sw = compile(&a, "(\\w+) (\\w+)", 0, 6);
    ck_assert_str_eq(nv_rx_replace(&S, &sw, "John Smith, Ann Lee", tmpl(t, "$2 $1")), "Smith John, Lee Ann");
    /* a group that took no part gives nothing */
    nv_rx alt = compile(&a, "(a)|b", 0, 4);
    ck_assert_str_eq(nv_rx_replace(&S, &alt, "ab", tmpl(t, "[$1]")), "[a][]");
    nv_rx ci = compile(&a, "k", 1, 2);
    ck_assert_str_eq(nv_rx_replace(&S, &ci, "kK\xe2\x84\xaa", tmpl(t, ".")), "...");
    nv_rx dot = compile(&a, ".", 0, 2);
    ck_assert_str_eq(nv_rx_replace(&S, &dot, "\xc3\xa9\n", tmpl(t, "x")), "x\n");
    nv_rx lazy = compile(&a, "<.+?>", 0, 2);
    ck_assert_str_eq(nv_rx_replace(&S, &lazy, "<a><b>c", tmpl(t, "")), "c");
    ck_assert(nv_rx_matches(&S, &lazy, "x<y>") == 1 && nv_rx_matches(&S, &lazy, "<>") == 0);
    nv_rx end = compile(&a, "a$", 0, 2);
    ck_assert(nv_rx_matches(&S, &end, "ba\n") == 1 && nv_rx_matches(&S, &end, "ba\n\n") == 0);
    /* the work space is given back after each search */
    ck_assert_uint_eq(S.overflow, 0);
    size_t used = S.used;
    nv_rx_matches(&S, &lazy, "<x>");
    ck_assert_uint_eq(S.used, used);
    /* a scratch area too small: the search fails, the record with it */
    char tiny[8];
    nv_scratch T = {tiny, 0, sizeof tiny, 0};
    ck_assert(nv_rx_matches(&T, &lazy, "<x>") == 0 && T.overflow == 1);
    arena_free(&a);
}
END_TEST

START_TEST(test_regex_refused)
{
    /* what has no exact meaning here is an error naming its column */
    static const struct { const char *pat; int col; } bad[] = {
        {"(a)\\1", 4}, {"x(?=y)", 2}, {"(?<=a)b", 1}, {"a++", 3}, {"(?>a)", 1}, {"\\p{L}", 1}, {"a{", 2},
        {"(a?)*", 5}, {"[", 1}, {"(a", 1}, {"a)", 2}, {"*a", 1}, {"(?x)a", 1}, {"(?i)\xc3\xa9", 5}, {"\\", 1},
        {"[b-a]", 3}, {"a{1001}", 2},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        Arena a;
        arena_init(&a);
        char err[300], want[40];
        ck_assert_msg(ir_regex(&a, bad[i].pat, 0, 0, err, sizeof err) == NULL, "/%s/ compiled", bad[i].pat);
        snprintf(want, sizeof want, "(at column %d of the pattern)", bad[i].col);
        ck_assert_msg(strstr(err, want) != NULL, "/%s/: %s", bad[i].pat, err);
        arena_free(&a);
    }
}
END_TEST

/* ---- text indexes ---- */
START_TEST(test_text_index)
{
    nv_scratch S = scratch();
    /* commons-text's distances, on code points, case folded unless cs */
    ck_assert_int_eq(nv_lev("kitten", 6, "sitting", 7, 1, 3), 3);
    ck_assert_int_eq(nv_lev("kitten", 6, "sitting", 7, 1, 2), -1);
    ck_assert_int_eq(nv_lev("Fox", 3, "fox", 3, 0, 1), 0);
    ck_assert_int_eq(nv_lev("caf\xc3\xa9", 5, "CAF\xc3\x89", 5, 0, 1), 0);
    ck_assert_int_eq(nv_lev("caf\xc3\xa9", 5, "cafe", 4, 0, 1), 1);
    ck_assert(nv_tok_eq("\xce\xa3", 2, "\xcf\x82", 2, 0));   /* Sigma, final sigma */
    ck_assert(nv_tok_eq("k", 1, "\xe2\x84\xaa", 3, 0));      /* KELVIN SIGN */
    ck_assert(!nv_tok_eq("k", 1, "\xe2\x84\xaa", 3, 1));
    /* tokens: \s+ splits and trims punctuation; tokenize=false is one token */
    nv_tix split = {0, NULL, 0, 0, 0, 0, NULL, 0}, none = {4, NULL, 0, 0, 0, 0, NULL, 0};
    int off[8], len[8];
    ck_assert_int_eq(nv_tokens(&S, &split, "  (Hello),  world!! _x_ ", off, len), 3);
    ck_assert(len[0] == 5 && len[1] == 5 && len[2] == 1);
    ck_assert_int_eq(nv_tokens(&S, &none, "...a b...", off, len), 1);
    ck_assert_int_eq(len[0], 3);
    /* bestHits counts the hits of the least distance; binary caps at 1 */
    nv_tix lev = {0, NULL, 0, 1, 1, 0, NULL, 0};
    nv_tcache c;
    memset(&c, 0, sizeof c);
    const char *text = "the fox, the box and the fix";
    ck_assert(nv_tf(&S, &lev, &c, text, "fox") == 1);
    lev.best = 0;
    memset(&c, 0, sizeof c);
    ck_assert(nv_tf(&S, &lev, &c, text, "fox") == 3);
    lev.weight = 1;
    memset(&c, 0, sizeof c);
    ck_assert(nv_tf(&S, &lev, &c, text, "fox") == 1);
    lev.weight = 2;
    lev.maxlev = 0;
    memset(&c, 0, sizeof c);
    ck_assert(nv_tf(&S, &lev, &c, text, "the") == log10(4.0));
}
END_TEST

/* ---- per-entity state ---- */
START_TEST(test_state_map)
{
    nv_smap *m = nv_smap_new(sizeof(double), 2, NULL);
    nv_key k = {0};
    ck_assert(m != NULL);
    const char *keys[] = {"A", "B", "A", "C", "B"};
    double seen[5];
    for (int i = 0; i < 5; i++) {
        nv_key_reset(&k);
        nv_key_str(&k, keys[i]);
        double *slot = (double *)nv_smap_get(m, k.buf, k.len);
        ck_assert(slot != NULL);
        seen[i] = *slot += 1; /* visits of the entity while it is held (a slot lives until its entity is evicted) */
    }
    /* A, B, A, C: C forgets B (the least recently seen), then B comes back new (forgetting A) */
    ck_assert(seen[2] == 2 && seen[3] == 1 && seen[4] == 1);
    ck_assert_uint_eq(m->n, 2);
    ck_assert_uint_eq(m->evicted, 2);
    /* keys tell missing, numbers and strings apart; -0 is 0 */
    nv_key a = {0}, b = {0};
    nv_key_num(&a, 1, 0.0);
    nv_key_num(&b, 1, -0.0);
    ck_assert(a.len == b.len && !memcmp(a.buf, b.buf, a.len));
    nv_key_reset(&b);
    nv_key_num(&b, 0, 0.0);
    ck_assert(a.len != b.len);
    nv_key_reset(&a);
    nv_key_str(&a, NULL);
    ck_assert(a.len == b.len && !memcmp(a.buf, b.buf, a.len)); /* a missing string and a missing number: both missing */
    /* many entities: the map grows and finds each again */
    nv_smap *big = nv_smap_new(sizeof(double), 0, NULL);
    for (int i = 0; i < 5000; i++) {
        nv_key_reset(&k);
        nv_key_num(&k, 1, i);
        *(double *)nv_smap_get(big, k.buf, k.len) = i;
    }
    for (int i = 0; i < 5000; i++) {
        nv_key_reset(&k);
        nv_key_num(&k, 1, i);
        ck_assert(*(double *)nv_smap_get(big, k.buf, k.len) == i);
    }
    ck_assert_uint_eq(big->n, 5000);
    nv_smap_reset(big);
    ck_assert_uint_eq(big->n, 0);
    nv_smap_free(big);
    nv_smap_free(m);
    free(k.buf);
    free(a.buf);
    free(b.buf);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("pmml_rt");
    TCase *t = tcase_create("dates");
    tcase_add_test(t, test_calendar);
    tcase_add_test(t, test_iso_refused);
    tcase_add_test(t, test_date_functions);
    suite_add_tcase(s, t);
    t = tcase_create("numbers");
    tcase_add_test(t, test_normal_distribution);
    tcase_add_test(t, test_aggregates);
    tcase_add_test(t, test_format_number);
    suite_add_tcase(s, t);
    t = tcase_create("text");
    tcase_add_test(t, test_regex_replace);
    tcase_add_test(t, test_regex_refused);
    tcase_add_test(t, test_text_index);
    suite_add_tcase(s, t);
    t = tcase_create("state");
    tcase_add_test(t, test_state_map);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
