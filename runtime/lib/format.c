/* format.c -- PMML's formatNumber, as the reference evaluator (JPMML) computes
 * it: java.util.Formatter's String.format(pattern, value), in the US
 * locale.
 *
 * Why not printf: Java's formatter rounds differently.  It takes the
 * shortest decimal digits that read back to the double (what
 * Double.toString shows) and rounds those half up, so "%.1f" of 0.15 is
 * "0.2" (printf, rounding the binary value, gives "0.1"); and its %g keeps
 * trailing zeros, its %s of a double is Double.toString's text.  The
 * compiler checked the pattern by Java's rules and rewrote it
 * (compiler/pmml/lower_formats.c): literal text, "%%", and conversions
 * "%[flags][width][.precision]C", C one of d o x X c (integers), e E f g G
 * a A (doubles), s S b B h H; flags of "-#+ 0,(".  Tested in
 * tests/unit/test_pmml_rt.c against Java's outputs. */

/*@ section pmml_format needs scratch utf8 */
/* The shortest decimal digits of |v| (finite, not 0) that read back to v
   (to the float v, when fl): digits[0..n) without trailing zeros, and the
   exponent e with |v| = 0.d1d2... * 10^e (Java's FloatingDecimal
   convention).  Returns n. */
NV_RT int nv_shortest_digits(double v, int fl, char *digits, int *e)
{
    char buf[40];
    int p, n = 0, i;
    v = fabs(v);
    for (p = 1; p <= 17; p++) {
        sprintf(buf, "%.*e", p - 1, v);
        if (fl ? (float)strtod(buf, NULL) == (float)v : strtod(buf, NULL) == v)
            break;
    }
    for (i = 0; buf[i] && buf[i] != 'e'; i++)
        if (buf[i] >= '0' && buf[i] <= '9')
            digits[n++] = buf[i];
    *e = atoi(buf + i + 1) + 1;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    return n;
}

/* Java's applyPrecision: keeps `keep` digits, rounding half up on the
   digits (not on the binary value); the digits may become "1" with the
   exponent one higher.  keep < 0 or >= n: unchanged. */
NV_RT int nv_round_digits(char *d, int *n, int e, int keep)
{
    int i;
    if (keep < 0 || keep >= *n)
        return e;
    if (keep == 0) {
        if (d[0] >= '5') {
            d[0] = '1';
            *n = 1;
            return e + 1;
        }
        d[0] = '0';
        *n = 1;
        return e;
    }
    if (d[keep] >= '5') {
        for (i = keep - 1; i >= 0 && d[i] == '9'; i--)
            d[i] = '0';
        if (i < 0) {
            d[0] = '1';
            *n = 1;
            return e + 1;
        }
        d[i]++;
    }
    *n = keep;
    while (*n > 1 && d[*n - 1] == '0')
        (*n)--;
    return e;
}

/* digits 0.d1..dn * 10^e in fixed notation with `prec` fraction digits
   (zeros added, extra digits cut: they were rounded away above) */
NV_RT int nv_fixed_text(char *o, const char *d, int n, int e, int prec)
{
    int k = 0, i;
    if (e <= 0)
        o[k++] = '0';
    for (i = 0; i < e; i++)
        o[k++] = i < n ? d[i] : '0';
    if (prec > 0) {
        o[k++] = '.';
        for (i = 0; i < prec; i++) {
            int at = e + i;
            o[k++] = at >= 0 && at < n ? d[at] : '0';
        }
    }
    o[k] = 0;
    return k;
}

/* digits in scientific notation d.ddd with prec fraction digits and a
   two-digit exponent at least */
NV_RT int nv_sci_text(char *o, const char *d, int n, int e, int prec, int up)
{
    int k = 0, i, x = e - 1;
    o[k++] = d[0];
    if (prec > 0) {
        o[k++] = '.';
        for (i = 1; i <= prec; i++)
            o[k++] = i < n ? d[i] : '0';
    }
    k += sprintf(o + k, "%c%c%02d", up ? 'E' : 'e', x < 0 ? '-' : '+', x < 0 ? -x : x);
    return k;
}

/* Java's Double.toString (Float.toString when fl): the shortest digits, as
   "ddd.ddd" for 1e-3 <= |v| < 1e7, else "d.dddE[-]x" */
NV_RT int nv_java_double_text(char *o, double v, int fl)
{
    char d[24];
    int n, e, k = 0, i;
    if (v != v)
        return sprintf(o, "NaN");
    if (v - v != 0)
        return sprintf(o, v < 0 ? "-Infinity" : "Infinity");
    if (v < 0 || (v == 0 && 1 / v < 0))
        o[k++] = '-';
    if (v == 0)
        return k + sprintf(o + k, "0.0");
    n = nv_shortest_digits(v, fl, d, &e);
    if (fabs(v) >= 1e-3 && fabs(v) < 1e7) {
        k += nv_fixed_text(o + k, d, n, e, n - e > 0 ? n - e : 1);
        return k;
    }
    o[k++] = d[0];
    o[k++] = '.';
    for (i = 1; i < n; i++)
        o[k++] = d[i];
    if (n == 1)
        o[k++] = '0';
    return k + sprintf(o + k, "E%d", e - 1);
}

/* the magnitude's text with ',' groups in its integer part and zeros after
   the sign up to width w (Java's localizedMagnitude) */
NV_RT void nv_magnitude(char *o, const char *mag, const char *flags, int w, int signlen)
{
    char t[1100];
    int k = 0, i, len = (int)strlen(mag), ip = 0;
    while (ip < len && mag[ip] != '.')
        ip++;
    for (i = 0; i < len; i++) {
        t[k++] = mag[i];
        if (strchr(flags, ',') && i < ip - 1 && (ip - 1 - i) % 3 == 0)
            t[k++] = ',';
    }
    t[k] = 0;
    i = 0;
    if (strchr(flags, '0'))
        for (; signlen + k + i < w; i++)
            o[i] = '0';
    strcpy(o + i, t);
}

/* Java's Double.toHexString of a >= 0, finite, without its "0x": "1.hhhp e"
   (the 13 hex digits of the significand without trailing zeros, one at
   least), "0.hhhp-1022" of a subnormal, "0.0p0" of zero; the exponent of
   a subnormal `scaled` up by 2^54 is given back 54 lower */
NV_RT int nv_hex_double_text(char *o, uint64_t bits, int scaled)
{
    uint64_t sig = bits & 0xFFFFFFFFFFFFFULL;
    int ex = (int)(bits >> 52 & 0x7FF), k, n = 13;
    if (ex == 0 && sig == 0)
        return sprintf(o, "0.0p0");
    k = sprintf(o, ex == 0 ? "0." : "1.");
    while (n > 1 && (sig & 0xF) == 0) {
        sig >>= 4;
        n--;
    }
    k += sprintf(o + k, "%0*llx", n, (unsigned long long)sig);
    return k + sprintf(o + k, "p%d", (ex == 0 ? -1022 : ex - 1023) - (scaled ? 54 : 0));
}

/* Java's Formatter.hexDouble: |v| (finite) in hex with at most prec digits
   after the point (0: all of them), rounded half even on the bits; a
   subnormal is normalized first ("1.000p-1074"), a rounding past the
   largest double gives "1.0p1024" */
NV_RT int nv_hex_double(char *o, double a, int prec)
{
    uint64_t bits, keep, rest, half;
    int shift, sub;
    memcpy(&bits, &a, sizeof bits);
    bits &= 0x7FFFFFFFFFFFFFFFULL;
    if (bits == 0 || prec == 0 || prec >= 13)
        return nv_hex_double_text(o, bits, 0);
    sub = (bits >> 52) == 0;
    if (sub) {
        a = fabs(a) * 18014398509481984.0; /* 2^54: exact, and now normal */
        memcpy(&bits, &a, sizeof bits);
    }
    shift = 52 - 4 * prec;
    keep = bits >> shift;
    rest = bits & ((1ULL << shift) - 1);
    half = 1ULL << (shift - 1);
    if (rest > half || (rest == half && (keep & 1)))
        keep++;
    bits = keep << shift;
    if ((bits >> 52) == 0x7FF)
        return sprintf(o, "1.0p1024");
    return nv_hex_double_text(o, bits, sub);
}

/* Java's hashCode of the value formatNumber passes: an Integer's own bits,
   a Float's floatToIntBits, a Double's doubleToLongBits folded to 32 bits
   (NaN in its one canonical form) */
NV_RT unsigned long nv_java_hash(double v, int kind)
{
    if (kind == 2)
        return (unsigned long)(uint32_t)(int32_t)v;
    if (kind == 1) {
        float f = (float)v;
        uint32_t b = 0x7fc00000u;
        if (f == f)
            memcpy(&b, &f, sizeof b);
        return b;
    } else {
        uint64_t b = 0x7ff8000000000000ULL;
        if (v == v)
            memcpy(&b, &v, sizeof b);
        return (unsigned long)(uint32_t)(b ^ (b >> 32));
    }
}

/* formatNumber(v, pat): kind 0 a double, 1 a float, 2 an Integer (v must
   then be an integer of 32 bits: NULL, a missing result, otherwise).  Each
   conversion formats v.  The compiler bounds widths by 200 and
   precisions by 60; NULL when the whole text would pass 2047 bytes. */
NV_RT const char *nv_format_number(nv_scratch *S, double v, int kind, const char *pat)
{
    char out[2048], body[1100], mag[1024], dig[24];
    size_t n = 0;
    char *p;
    if (kind == 2 && (v != floor(v) || v < -2147483648.0 || v > 2147483647.0))
        return NULL;
    while (*pat) {
        char flags[8] = {0};
        int w = -1, prec = -1, nf = 0, neg, k = 0, len, i, up, units = 0;
        char c;
        if (*pat != '%' || pat[1] == '%') {
            if (n + 1 >= sizeof out)
                return NULL;
            out[n++] = *pat;
            pat += *pat == '%' ? 2 : 1;
            continue;
        }
        for (pat++; *pat && strchr("-#+ 0,(", *pat); pat++)
            flags[nf++] = *pat;
        if (*pat >= '0' && *pat <= '9')
            for (w = 0; *pat >= '0' && *pat <= '9'; pat++)
                w = w * 10 + (*pat - '0');
        if (*pat == '.')
            for (prec = 0, pat++; *pat >= '0' && *pat <= '9'; pat++)
                prec = prec * 10 + (*pat - '0');
        c = *pat++;
        up = c == 'X' || c == 'E' || c == 'G' || c == 'S' || c == 'B' || c == 'H' || c == 'A';
        neg = v < 0 || (v == 0 && 1 / v < 0);
        if (c == 'o' || c == 'x' || c == 'X') {
            long long l = (long long)v;
            unsigned long u = (unsigned long)(l < 0 ? l + 4294967296LL : l);
            int alt = strchr(flags, '#') != NULL;
            len = sprintf(mag, c == 'o' ? "%lo" : up ? "%lX" : "%lx", u);
            if (alt)
                k += sprintf(body + k, c == 'o' ? "0" : up ? "0X" : "0x");
            if (strchr(flags, '0'))
                for (i = k + len; i < w; i++)
                    body[k++] = '0';
            strcpy(body + k, mag);
        } else if (c == 'c') {
            /* an Integer's code point (Java: IllegalFormatCodePointException
               outside 0..10FFFF; a surrogate or a NUL has no C string) */
            if (v < 1 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
                return NULL;
            body[nv_utf8_put(body, (unsigned)v)] = 0;
            units = v >= 0x10000 ? 2 : 1; /* Java's width counts UTF-16 units */
        } else if (c == 's' || c == 'S' || c == 'b' || c == 'B' || c == 'h' || c == 'H') {
            if (c == 'b' || c == 'B')
                len = sprintf(mag, "true");
            else if (c == 'h' || c == 'H')
                len = sprintf(mag, "%lx", nv_java_hash(v, kind));
            else if (kind == 2)
                len = sprintf(mag, "%.0f", v);
            else
                len = nv_java_double_text(mag, v, kind == 1);
            if (prec >= 0 && prec < len)
                mag[prec] = 0;
            if (up)
                for (i = 0; mag[i]; i++)
                    if (mag[i] >= 'a' && mag[i] <= 'z')
                        mag[i] = (char)(mag[i] - 32);
            strcpy(body, mag);
        } else {
            /* d, e, f, g: sign, magnitude, sign */
            int paren = neg && strchr(flags, '(') != NULL;
            if (paren)
                body[k++] = '(';
            else if (neg)
                body[k++] = '-';
            else if (strchr(flags, '+'))
                body[k++] = '+';
            else if (strchr(flags, ' '))
                body[k++] = ' ';
            if (v != v) {
                k = 0;
                strcpy(mag, up ? "NAN" : "NaN");
                strcpy(body, mag);
                goto justify;
            }
            if (v - v != 0) {
                strcpy(body + k, up ? "INFINITY" : "Infinity");
                k += 8;
            } else if (c == 'a' || c == 'A') {
                /* Java: "0x", zeros up to the width, the digits of
                   hexDouble, zeros up to the precision, "p", the exponent */
                int hp = prec < 0 ? 0 : prec == 0 ? 1 : prec, hl, dot;
                char *pp;
                hl = nv_hex_double(mag, v, hp);
                k += sprintf(body + k, up ? "0X" : "0x");
                if (strchr(flags, '0'))
                    for (i = hl + k; i < w; i++)
                        body[k++] = '0';
                pp = strchr(mag, 'p');
                *pp = 0;
                for (i = 0; mag[i]; i++)
                    body[k++] = up && mag[i] >= 'a' && mag[i] <= 'f' ? (char)(mag[i] - 32) : mag[i];
                dot = (int)(strchr(mag, '.') - mag);
                for (i = (int)strlen(mag) - dot - 1; hp > 0 && i < hp; i++)
                    body[k++] = '0';
                body[k++] = up ? 'P' : 'p';
                strcpy(body + k, pp + 1);
                k += (int)strlen(pp + 1);
            } else {
                char *m = mag;
                double a = fabs(v);
                if (c == 'd')
                    sprintf(m, "%.0f", a);
                else {
                    int nd = 1, e = 1, fp = prec < 0 ? 6 : prec, alt = strchr(flags, '#') != NULL;
                    dig[0] = '0';
                    if (a != 0)
                        nd = nv_shortest_digits(a, kind == 1, dig, &e);
                    if (c == 'f') {
                        e = a == 0 ? 1 : nv_round_digits(dig, &nd, e, e + fp);
                        len = nv_fixed_text(m, dig, nd, e, fp);
                        if (alt && fp == 0)
                            strcat(m, ".");
                    } else if (c == 'e' || c == 'E') {
                        e = a == 0 ? 1 : nv_round_digits(dig, &nd, e, fp + 1);
                        len = nv_sci_text(m, dig, nd, e, fp, up);
                        if (alt && fp == 0) {
                            memmove(m + 2, m + 1, (size_t)len);
                            m[1] = '.';
                        }
                    } else {
                        int gp = prec < 0 ? 6 : prec == 0 ? 1 : prec;
                        e = a == 0 ? 1 : nv_round_digits(dig, &nd, e, gp);
                        if (a != 0 && (e - 1 < -4 || e - 1 >= gp))
                            nv_sci_text(m, dig, nd, e, gp - 1, up);
                        else
                            nv_fixed_text(m, dig, nd, a == 0 ? 1 : e, a == 0 ? gp - 1 : gp - e);
                    }
                }
                /* the exponent keeps out of the groups and the zeros */
                {
                    char *x = strpbrk(mag, "eE"), ex[16] = "";
                    if (x) {
                        strcpy(ex, x);
                        *x = 0;
                    }
                    nv_magnitude(body + k, mag, flags, w - (int)strlen(ex) - (paren ? 1 : 0), k);
                    strcat(body, ex);
                    k = (int)strlen(body);
                }
            }
            if (paren)
                body[k++] = ')';
            body[k] = 0;
        }
    justify:
        len = (int)strlen(body);
        if (!units)
            units = len;
        if (n + (size_t)(w > len ? w : len) + 1 >= sizeof out)
            return NULL;
        if (!strchr(flags, '-'))
            for (i = units; i < w; i++)
                out[n++] = ' ';
        memcpy(out + n, body, (size_t)len);
        n += (size_t)len;
        if (strchr(flags, '-'))
            for (i = units; i < w; i++)
                out[n++] = ' ';
    }
    out[n] = 0;
    p = nv_salloc(S, n + 1);
    if (!p)
        return "";
    memcpy(p, out, n + 1);
    return p;
}
