/* text.c -- strings in PMML's generated code: computed strings live in a
 * per-record scratch area inside the output struct (no allocation, no
 * globals), plus the string functions of PMML's built-in library and string
 * interning (TextIndex is textindex.c).
 *
 * Strings here are NUL-terminated UTF-8 (PMML's fields are C strings); PFA's
 * strings carry their length (nv_str, pfa_rt.c).  What both need at the
 * byte level (case mapping, UTF-8 encoding) is written once here and called by both.
 * Copied into units by sections (see base.c); tested in test_lib.c. */

/*@ section casemap needs prelude */
/* Case mapping of the n bytes of s into o (n bytes; o may be s): ASCII
   letters and the Latin-1 letters of UTF-8 (U+00C0-U+00DE <-> U+00E0-U+00FE,
   but for the multiplication and division signs); every other byte is
   copied.  PMML's lowercase/uppercase and PFA's s.lower/s.upper. */
NV_RT void nv_casemap(char *o, const char *s, size_t n, int upper)
{
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (upper ? (c >= 'a' && c <= 'z') : (c >= 'A' && c <= 'Z'))
            c = (unsigned char)(upper ? c - 32 : c + 32);
        else if (c == 0xc3 && i + 1 < n) {
            unsigned char d = (unsigned char)s[i + 1];
            o[i++] = (char)c;
            if (upper && d >= 0xa0 && d <= 0xbe && d != 0xb7)
                d = (unsigned char)(d - 0x20);
            else if (!upper && d >= 0x80 && d <= 0x9e && d != 0x97)
                d = (unsigned char)(d + 0x20);
            c = d;
        }
        o[i] = (char)c;
    }
}

/*@ section utf8 needs prelude */
/* the code point cp (a Unicode scalar value) as UTF-8 at o: its length.
   PFA's JSON and strings, PMML's formatNumber %c. */
NV_RT int nv_utf8_put(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/*@ section scratch needs prelude */
/* per-record scratch space for computed strings, inside the output struct */
typedef struct nv_scratch { char *base; size_t used, cap; int overflow; } nv_scratch;

NV_RT char *nv_salloc(nv_scratch *S, size_t n)
{
    char *p;
    if (S->cap - S->used < n) { S->overflow = 1; return NULL; }
    p = S->base + S->used;
    S->used += n;
    return p;
}

/*@ section pmml_string needs scratch casemap */
/* lowercase / uppercase (upper 1) of s */
NV_RT const char *nv_recase_c(nv_scratch *S, const char *s, int upper)
{
    size_t n = strlen(s);
    char *p = nv_salloc(S, n + 1);
    if (!p) return "";
    nv_casemap(p, s, n + 1, upper);
    return p;
}

NV_RT const char *nv_concat(nv_scratch *S, const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *p = nv_salloc(S, na + nb + 1);
    if (!p) return "";
    memcpy(p, a, na);
    memcpy(p + na, b, nb + 1);
    return p;
}

/* PMML substring: 1-based start, length in characters (bytes here) */
NV_RT const char *nv_substr(nv_scratch *S, const char *s, long long start, long long len)
{
    size_t n = strlen(s), b, k;
    char *p;
    if (start < 1) start = 1;
    if (len < 0) len = 0;
    b = (size_t)start - 1 < n ? (size_t)start - 1 : n;
    k = (size_t)len < n - b ? (size_t)len : n - b;
    p = nv_salloc(S, k + 1);
    if (!p) return "";
    memcpy(p, s + b, k);
    p[k] = 0;
    return p;
}

NV_RT const char *nv_trim_blanks(nv_scratch *S, const char *s)
{
    size_t n;
    char *p;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    n = strlen(s);
    while (n && (s[n-1] == ' ' || s[n-1] == '\t' || s[n-1] == '\n' || s[n-1] == '\r')) n--;
    p = nv_salloc(S, n + 1);
    if (!p) return "";
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

/* number to text: integers without a fraction, others shortest round-trip */
NV_RT const char *nv_dtostr(nv_scratch *S, double v, int kind)
{
    char buf[40];
    char *p;
    int prec;
    if (kind == 2 || (v == floor(v) && fabs(v) < 1e15))
        sprintf(buf, "%.0f", v);
    else
        for (prec = 1; prec <= 17; prec++) {
            sprintf(buf, "%.*g", prec, v);
            if (kind == 1 ? (float)strtod(buf, NULL) == (float)v : strtod(buf, NULL) == v) break;
        }
    p = nv_salloc(S, strlen(buf) + 1);
    if (!p) return "";
    strcpy(p, buf);
    return p;
}

NV_RT int nv_strtod(const char *s, double *out)
{
    char *end;
    if (!*s) return 0;
    *out = strtod(s, &end);
    while (*end == ' ') end++;
    return end != s && *end == 0;
}

/*@ section intern needs prelude */
/* the index of s in a sorted dictionary (strcmp's order), or -1.  The
   bytes are compared here, not by strcmp: a model's categories are short,
   and a call per probe cost a 200-tree forest 5% of its time per record */
NV_RT int nv_intern(const char *s, const char *const *d, int n)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        const unsigned char *a = (const unsigned char *)s, *b = (const unsigned char *)d[mid];
        int c;
        while (*a && *a == *b)
            a++, b++;
        c = *a - *b;
        if (c == 0) return mid;
        if (c < 0) hi = mid - 1; else lo = mid + 1;
    }
    return -1;
}
