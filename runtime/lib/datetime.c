/* datetime.c -- dates and times: the proleptic Gregorian calendar (shared
 * with PFA's time.* functions), ISO 8601 text as PMML's data types read and
 * write it, and PMML's date functions (dateDaysSinceYear,
 * dateSecondsSinceYear, dateSecondsSinceMidnight, formatDatetime).
 *
 * How a generated unit holds a date: as a double counting days (date,
 * dateDaysSince[Y]), seconds since midnight (time, timeSeconds) or seconds
 * (dateTime, dateTimeSecondsSince[Y]) from the data type's epoch; a host
 * binds the three kinds through the model interface as days since
 * 1970-01-01, seconds since midnight and seconds since 1970-01-01T00:00:00
 * (nerva_model.h, NERVA_DATE, NERVA_TIME, NERVA_DATETIME), and reads and
 * writes them as ISO 8601 text with the model's read_text and write_text,
 * which call the functions here.  No time zones: PMML's dates and times are
 * local (Java's LocalDate, LocalTime, LocalDateTime in JPMML).
 *
 * Units, as the functions' `unit` arguments: 1 days, 2 seconds since
 * midnight, 3 seconds.  Tested in tests/unit/test_pmml_rt.c against
 * Python's datetime. */

/*@ section civil needs prelude */
/* days since 1970-01-01 of a civil date, and back (Howard Hinnant's
   algorithms); exact over the whole int64 range the arithmetic allows */
NV_RT int64_t nv_days_from_civil(int64_t y, int64_t m, int64_t d)
{
    int64_t era, yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

NV_RT void nv_civil_from_days(int64_t z, int64_t *y, int64_t *m, int64_t *d)
{
    int64_t era, doe, yoe, doy, mp;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp + (mp < 10 ? 3 : -9);
    *y = yoe + era * 400 + (*m <= 2);
}

/*@ section iso_time needs civil */
/* ISO 8601 text of PMML's dates and times, read and written as JPMML does
   (java.time's ISO_LOCAL_DATE, ISO_LOCAL_TIME, ISO_LOCAL_DATE_TIME, and
   JPMML's own "[-]h:mm:ss" of timeSeconds).  Values are days since
   1970-01-01, seconds since midnight, seconds since 1970-01-01T00:00. */

/* n digits at *p (exactly n), their value in *v */
NV_RT int nv_iso_digits(const char **p, int n, int64_t *v)
{
    int i;
    *v = 0;
    for (i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return 0;
        *v = *v * 10 + (c - '0');
    }
    *p += n;
    return 1;
}

/* YYYY-MM-DD (a year beyond 9999 or before 0 with a sign and more digits,
   as Java reads them); the date must exist */
NV_RT int nv_iso_date(const char **p, int64_t *days)
{
    const char *s = *p;
    int64_t y = 0, mo, d;
    int neg = 0, nd = 0;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    while (s[nd] >= '0' && s[nd] <= '9' && nd < 10)
        nd++;
    /* four digits, or more after a sign; '+' only for more (Java's strict
       ISO_LOCAL_DATE) */
    if (nd < 4 || (nd > 4 && s == *p) || (**p == '+' && nd == 4) || !nv_iso_digits(&s, nd, &y))
        return 0;
    if (neg)
        y = -y;
    if (*s++ != '-' || !nv_iso_digits(&s, 2, &mo) || *s++ != '-' || !nv_iso_digits(&s, 2, &d))
        return 0;
    if (mo < 1 || mo > 12 || d < 1 ||
        d > mdays[mo - 1] + (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)))
        return 0;
    *days = nv_days_from_civil(y, mo, d);
    *p = s;
    return 1;
}

/* hh:mm[:ss[.fraction]] (hours 00-23; 1 to 9 digits of fraction) */
NV_RT int nv_iso_clock(const char **p, double *secs)
{
    const char *s = *p;
    int64_t h, mi, se = 0;
    double frac = 0, scale = 0.1;
    if (!nv_iso_digits(&s, 2, &h) || *s++ != ':' || !nv_iso_digits(&s, 2, &mi) || h > 23 || mi > 59)
        return 0;
    if (*s == ':') {
        int nf = 0;
        s++;
        if (!nv_iso_digits(&s, 2, &se) || se > 59)
            return 0;
        if (*s == '.') {
            s++;
            while (*s >= '0' && *s <= '9' && nf < 9) {
                frac += (*s++ - '0') * scale;
                scale /= 10;
                nf++;
            }
            if (nf == 0)
                return 0;
        }
    }
    *secs = (double)(h * 3600 + mi * 60 + se) + frac;
    *p = s;
    return 1;
}

/* Reads text s of unit 1, 2 or 3 (since: timeSeconds' "[-]h:mm:ss", hours
   of 1 to 4 digits, no fraction) into *out.  Returns 1, or 0 when s is not
   such text (nothing may follow it). */
NV_RT int nv_iso_read(const char *s, int unit, int since, double *out)
{
    int64_t days, h, mi, se;
    double secs;
    int neg = 0, nd = 0;
    switch (unit) {
    case 1:
        if (!nv_iso_date(&s, &days))
            return 0;
        *out = (double)days;
        break;
    case 2:
        if (!since) {
            if (!nv_iso_clock(&s, &secs))
                return 0;
            *out = secs;
            break;
        }
        if (*s == '-')
            neg = 1, s++;
        while (s[nd] >= '0' && s[nd] <= '9' && nd < 5)
            nd++;
        if (nd < 1 || nd > 4 || !nv_iso_digits(&s, nd, &h) || *s++ != ':' || !nv_iso_digits(&s, 2, &mi) ||
            *s++ != ':' || !nv_iso_digits(&s, 2, &se) || mi > 59 || se > 59)
            return 0;
        *out = (double)(h * 3600 + mi * 60 + se) * (neg ? -1 : 1);
        break;
    default:
        if (!nv_iso_date(&s, &days) || *s++ != 'T' || !nv_iso_clock(&s, &secs))
            return 0;
        *out = (double)days * 86400 + secs;
        break;
    }
    return *s == 0;
}

/* the microseconds of a fraction of a second: a dateTime is a double of
   seconds since 1970, which holds microseconds but not nanoseconds, so
   times are kept to the microsecond (".123" stays ".123") */
NV_RT int64_t nv_micros(double frac)
{
    return (int64_t)floor(frac * 1e6 + 0.5);
}

/* the time of day secs (0 <= secs < 86400) as Java's LocalTime prints it:
   hh:mm, then :ss unless seconds and fraction are zero, then the fraction
   in groups of three digits (milli, micro, nano) as needed */
NV_RT int nv_iso_clock_text(char *buf, size_t size, double secs)
{
    int64_t whole = (int64_t)floor(secs), ns = nv_micros(secs - (double)whole) * 1000;
    int n;
    if (ns >= 1000000000) {
        whole++;
        ns -= 1000000000;
    }
    n = snprintf(buf, size, "%02d:%02d", (int)(whole / 3600 % 24), (int)(whole / 60 % 60));
    if (whole % 60 || ns)
        n += snprintf(buf + n, size > (size_t)n ? size - (size_t)n : 0, ":%02d", (int)(whole % 60));
    if (ns % 1000000 == 0 && ns)
        n += snprintf(buf + n, size > (size_t)n ? size - (size_t)n : 0, ".%03d", (int)(ns / 1000000));
    else if (ns % 1000 == 0 && ns)
        n += snprintf(buf + n, size > (size_t)n ? size - (size_t)n : 0, ".%06d", (int)(ns / 1000));
    else if (ns)
        n += snprintf(buf + n, size > (size_t)n ? size - (size_t)n : 0, ".%09d", (int)ns);
    return n;
}

/* the date of days since 1970-01-01 as Java's LocalDate prints it: a year
   of four digits, or with a sign beyond 9999 and before 0 */
NV_RT int nv_iso_date_text(char *buf, size_t size, int64_t days)
{
    int64_t y, m, d;
    nv_civil_from_days(days, &y, &m, &d);
    if (y > 9999)
        return snprintf(buf, size, "+%lld-%02d-%02d", (long long)y, (int)m, (int)d);
    if (y < 0)
        return snprintf(buf, size, "-%04lld-%02d-%02d", (long long)-y, (int)m, (int)d);
    return snprintf(buf, size, "%04d-%02d-%02d", (int)y, (int)m, (int)d);
}

/* Writes v of unit 1, 2 or 3 as ISO text into buf; returns its length
   (snprintf's: the text is cut to size - 1).  A time of day outside
   [0, 86400) or a value that is not finite writes nothing and returns -1. */
NV_RT int nv_iso_write(char *buf, size_t size, double v, int unit)
{
    double days;
    int n;
    if (!(v - v == 0))
        return -1;
    switch (unit) {
    case 1:
        return nv_iso_date_text(buf, size, (int64_t)floor(v));
    case 2:
        if (v < 0 || v >= 86400)
            return -1;
        return nv_iso_clock_text(buf, size, v);
    default:
        days = floor(v / 86400);
        n = nv_iso_date_text(buf, size, (int64_t)days);
        if ((size_t)n + 1 < size)
            buf[n] = 'T';
        return n + 1 + nv_iso_clock_text(buf + n + 1, size > (size_t)n + 1 ? size - (size_t)n - 1 : 0,
                                         v - days * 86400);
    }
}

/*@ section pmml_time needs iso_time scratch */
/* PMML's date functions.  A value here is v of a data type with unit 1, 2
   or 3 and offset `off`: v - off is what the host binds (days or seconds
   since 1970-01-01, seconds since midnight). */

/* the value of unit `from` (offset fo) as unit `to` (offset to_off): a
   date is a dateTime at midnight, a dateTime's date is the day it falls
   in, its time the seconds since that midnight.  Exact. */
NV_RT double nv_tm_convert(double v, int from, double fo, int to, double to_off)
{
    double a = v - fo;
    if (from == to)
        return a + to_off;
    if (from == 1 && to == 3)
        return a * 86400 + to_off;
    if (from == 3 && to == 1)
        return floor(a / 86400) + to_off;
    if (from == 3 && to == 2)
        return a - floor(a / 86400) * 86400 + to_off;
    return NAN;
}

/* text as a value of unit/offset; since: the type counts from an epoch
   (dateDaysSince..., timeSeconds, dateTimeSecondsSince...) */
NV_RT int nv_tm_parse(const char *s, int unit, int since, double off, double *out)
{
    double v;
    if (!nv_iso_read(s, unit, since, &v))
        return 0;
    *out = v + off;
    return 1;
}

/* a value as text: ISO 8601 for date, time and dateTime; the count for the
   types that count from an epoch (as JPMML prints them) */
NV_RT const char *nv_tm_text(nv_scratch *S, double v, int unit, int since, double off)
{
    char buf[64];
    char *p;
    int n;
    if (since)
        n = snprintf(buf, sizeof buf, "%.0f", v);
    else
        n = nv_iso_write(buf, sizeof buf, v - off, unit);
    if (n < 0 || (size_t)n >= sizeof buf)
        return NULL;
    p = nv_salloc(S, (size_t)n + 1);
    if (!p)
        return "";
    memcpy(p, buf, (size_t)n + 1);
    return p;
}

/* dateDaysSinceYear(date, year): whole days from year-01-01 (a dateTime
   counts by its date) */
NV_RT double nv_days_since_year(double v, int unit, double off, double year)
{
    double days = unit == 1 ? v - off : floor((v - off) / 86400);
    return days - (double)nv_days_from_civil((int64_t)year, 1, 1);
}

/* dateSecondsSinceYear(dateTime, year): whole seconds from
   year-01-01T00:00:00, truncated toward zero (java.time's between) */
NV_RT double nv_seconds_since_year(double v, int unit, double off, double year)
{
    double secs = unit == 1 ? (v - off) * 86400 : v - off;
    double r = secs - (double)nv_days_from_civil((int64_t)year, 1, 1) * 86400;
    return r < 0 ? ceil(r) : floor(r);
}

/* dateSecondsSinceMidnight(time or dateTime): whole seconds of the day */
NV_RT double nv_seconds_since_midnight(double v, int unit, double off)
{
    double a = v - off;
    if (unit == 3)
        a -= floor(a / 86400) * 86400;
    return floor(a);
}

/* formatDatetime: the pattern as nerva's compiler checked and rewrote it
   (compiler/pmml/lower_formats.c): literal text, "%%" a percent sign, and
   "%X" with X one of Java's date and time conversion
   characters (java.util.Formatter's %tX) that the value's kind has; months
   and days of the week in English.  unit 1 a date, 2 a time of day, 3 a
   dateTime. */
NV_RT const char *nv_format_datetime(nv_scratch *S, double v, int unit, double off, const char *pat)
{
    static const char *const months[] = {"January", "February", "March", "April", "May", "June", "July",
                                         "August", "September", "October", "November", "December"};
    static const char *const wdays[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                                        "Sunday"};
    char buf[512], one[64];
    size_t n = 0;
    int64_t days = 0, y = 1970, mo = 1, d = 1, sod = 0, ns = 0;
    double a = v - off, secs = 0;
    char *p;
    if (!(a - a == 0))
        return NULL;
    if (unit == 1)
        days = (int64_t)floor(a);
    else if (unit == 3) {
        days = (int64_t)floor(a / 86400);
        secs = a - (double)days * 86400;
    } else
        secs = a;
    if (unit != 2)
        nv_civil_from_days(days, &y, &mo, &d);
    sod = (int64_t)floor(secs);
    ns = nv_micros(secs - (double)sod) * 1000;
    if (ns >= 1000000000)
        sod++, ns -= 1000000000;
    for (; *pat; pat++) {
        int k;
        int64_t h = sod / 3600 % 24, h12 = h % 12 == 0 ? 12 : h % 12;
        one[0] = 0;
        if (*pat != '%') {
            one[0] = *pat;
            one[1] = 0;
        } else if (pat[1] == '%') {
            pat++;
            strcpy(one, "%");
        } else {
            pat++;
            switch (*pat) {
            case 'Y': snprintf(one, sizeof one, y < 0 ? "-%04lld" : "%04lld", (long long)(y < 0 ? -y : y)); break;
            case 'y': snprintf(one, sizeof one, "%02d", (int)(((y % 100) + 100) % 100)); break;
            case 'C': snprintf(one, sizeof one, "%02lld", (long long)(y / 100)); break;
            case 'm': snprintf(one, sizeof one, "%02d", (int)mo); break;
            case 'd': snprintf(one, sizeof one, "%02d", (int)d); break;
            case 'e': snprintf(one, sizeof one, "%d", (int)d); break;
            case 'j': snprintf(one, sizeof one, "%03d", (int)(days - nv_days_from_civil(y, 1, 1) + 1)); break;
            case 'B': strcpy(one, months[mo - 1]); break;
            case 'b':
            case 'h': snprintf(one, sizeof one, "%.3s", months[mo - 1]); break;
            case 'A': strcpy(one, wdays[((days % 7) + 7 + 3) % 7]); break;
            case 'a': snprintf(one, sizeof one, "%.3s", wdays[((days % 7) + 7 + 3) % 7]); break;
            case 'H': snprintf(one, sizeof one, "%02d", (int)h); break;
            case 'k': snprintf(one, sizeof one, "%d", (int)h); break;
            case 'I': snprintf(one, sizeof one, "%02d", (int)h12); break;
            case 'l': snprintf(one, sizeof one, "%d", (int)h12); break;
            case 'M': snprintf(one, sizeof one, "%02d", (int)(sod / 60 % 60)); break;
            case 'S': snprintf(one, sizeof one, "%02d", (int)(sod % 60)); break;
            case 'L': snprintf(one, sizeof one, "%03d", (int)(ns / 1000000)); break;
            case 'N': snprintf(one, sizeof one, "%09d", (int)ns); break;
            case 'p': strcpy(one, h < 12 ? "am" : "pm"); break;
            case 'R': snprintf(one, sizeof one, "%02d:%02d", (int)h, (int)(sod / 60 % 60)); break;
            case 'T': snprintf(one, sizeof one, "%02d:%02d:%02d", (int)h, (int)(sod / 60 % 60), (int)(sod % 60)); break;
            case 'r':
                snprintf(one, sizeof one, "%02d:%02d:%02d %s", (int)h12, (int)(sod / 60 % 60), (int)(sod % 60),
                         h < 12 ? "AM" : "PM");
                break;
            case 'D': snprintf(one, sizeof one, "%02d/%02d/%02d", (int)mo, (int)d, (int)(((y % 100) + 100) % 100)); break;
            case 'F':
                snprintf(one, sizeof one, y < 0 ? "-%04lld-%02d-%02d" : "%04lld-%02d-%02d", (long long)(y < 0 ? -y : y),
                         (int)mo, (int)d);
                break;
            default: return NULL; /* the compiler lets no other through */
            }
        }
        k = (int)strlen(one);
        if (n + (size_t)k >= sizeof buf)
            return NULL;
        memcpy(buf + n, one, (size_t)k);
        n += (size_t)k;
    }
    p = nv_salloc(S, n + 1);
    if (!p)
        return "";
    memcpy(p, buf, n);
    p[n] = 0;
    return p;
}
