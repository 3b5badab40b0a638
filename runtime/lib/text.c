/* text.c -- strings in PMML's generated code: computed strings live in a
 * per-record scratch area inside the output struct (no allocation, no
 * globals), plus the string functions of PMML's built-in library, string
 * interning, and TextIndex term frequencies.
 *
 * Strings here are NUL-terminated UTF-8 (PMML's fields are C strings); PFA's
 * strings carry their length (nv_str, pfa_rt.c).  What both need at the
 * byte level (case mapping) is written once here and called by both.
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
/* the index of s in a sorted dictionary, or -1: strings compared once */
NV_RT int nv_intern(const char *s, const char *const *d, int n)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        int c = (unsigned char)s[0] - (unsigned char)d[mid][0];
        if (c == 0 && s[0]) c = strcmp(s + 1, d[mid] + 1);
        if (c == 0) return mid;
        if (c < 0) hi = mid - 1; else lo = mid + 1;
    }
    return -1;
}

/*@ section text_index needs scratch */
/* PMML TextIndex: normalise the text (rules), split it into tokens, count
   the term's token sequence in it.  A text is tokenised once per record. */
typedef struct nv_trule { int words; const char *const *strs; int nstrs; const char *out; } nv_trule;
typedef struct nv_tix { int tokenizer, cs, recursive; const nv_trule *rules; int nrules; } nv_tix;
typedef struct nv_tcache { const char *src, *norm; int ntok; const int *off, *len; } nv_tcache;

NV_RT int nv_wordch(unsigned char c)
{
    return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

NV_RT int nv_lc(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

NV_RT int nv_ncmp(const char *a, size_t na, const char *b, int cs)
{
    size_t i;
    for (i = 0; i < na && b[i]; i++) {
        int x = cs ? (unsigned char)a[i] : nv_lc((unsigned char)a[i]);
        int y = cs ? (unsigned char)b[i] : nv_lc((unsigned char)b[i]);
        if (x != y) return x - y;
    }
    if (i < na) return 1;
    return b[i] ? -1 : 0;
}

/* is the word a[0..n) among the sorted strs? */
NV_RT int nv_inset(const nv_trule *r, const char *a, size_t n, int cs)
{
    int lo = 0, hi = r->nstrs - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2, c = nv_ncmp(a, n, r->strs[mid], cs);
        if (c == 0) return 1;
        if (c < 0) hi = mid - 1; else lo = mid + 1;
    }
    return 0;
}

/* one rule over s; *changed tells whether anything was replaced */
NV_RT const char *nv_trule_apply(nv_scratch *S, const nv_trule *r, int cs, const char *s, int *changed)
{
    size_t n = strlen(s), nout = strlen(r->out), need = 0, i, j, k, lit = r->words ? 0 : strlen(r->strs[0]);
    char *p;
    int pass;
    for (pass = 0; pass < 2; pass++) {
        k = 0;
        for (i = 0; i < n;) {
            if (r->words && nv_wordch((unsigned char)s[i])) {
                for (j = i; j < n && nv_wordch((unsigned char)s[j]); j++) ;
                if (nv_inset(r, s + i, j - i, cs)) {
                    if (pass) memcpy(p + k, r->out, nout);
                    k += nout;
                    *changed = 1;
                } else {
                    if (pass) memcpy(p + k, s + i, j - i);
                    k += j - i;
                }
                i = j;
            } else if (!r->words && i + lit <= n && nv_ncmp(s + i, lit, r->strs[0], cs) == 0) {
                if (pass) memcpy(p + k, r->out, nout);
                k += nout;
                i += lit;
                *changed = 1;
            } else {
                if (pass) p[k] = s[i];
                k++;
                i++;
            }
        }
        if (!pass) {
            need = k;
            p = nv_salloc(S, need + 1);
            if (!p) return "";
        }
    }
    p[need] = 0;
    return p;
}

NV_RT int nv_space(unsigned char c) { return c == ' ' || (c >= 9 && c <= 13); }
/* Java's \p{Punct}: ASCII punctuation, '_' included */
NV_RT int nv_punct(unsigned char c) { return c == '_' || (c > 32 && c < 127 && !nv_wordch(c)); }

NV_RT int nv_tokeq(const char *a, const char *b, int n, int cs)
{
    int i, x, y;
    for (i = 0; i < n; i++) {
        x = (unsigned char)a[i];
        y = (unsigned char)b[i];
        if (!cs) { x = nv_lc(x); y = nv_lc(y); }
        if (x != y) return 0;
    }
    return 1;
}

/* tokens of s as offsets and lengths; returns the count, fills off/len when given */
NV_RT int nv_tokens(int tokenizer, const char *s, int *off, int *len)
{
    int n = 0;
    size_t i = 0, j, a, b;
    while (s[i]) {
        if (tokenizer == 1) {
            unsigned char c = (unsigned char)s[i];
            if (!(c < 0x80 && nv_wordch(c))) { i++; continue; }
            for (j = i; s[j] && (unsigned char)s[j] < 0x80 && nv_wordch((unsigned char)s[j]); j++) ;
            a = i; b = j;
        } else {
            if (nv_space((unsigned char)s[i])) { i++; continue; }
            for (j = i; s[j] && !nv_space((unsigned char)s[j]); j++) ;
            a = i; b = j;
            while (a < b && nv_punct((unsigned char)s[a])) a++;
            while (b > a && nv_punct((unsigned char)s[b - 1])) b--;
        }
        if (b > a) {
            if (off) { off[n] = (int)a; len[n] = (int)(b - a); }
            n++;
        }
        i = j;
    }
    return n;
}

NV_RT long long nv_tf(nv_scratch *S, const nv_tix *t, nv_tcache *c, const char *text, const char *term)
{
    int toff[64], tlen[64], nt, i, j, count = 0;
    if (c->src != text) {
        const char *s = text;
        int round, k, changed;
        int *off, *len;
        for (round = 0; round < (t->recursive ? 64 : 1); round++) {
            changed = 0;
            for (k = 0; k < t->nrules; k++) s = nv_trule_apply(S, &t->rules[k], t->cs, s, &changed);
            if (!changed) break;
        }
        c->ntok = nv_tokens(t->tokenizer, s, NULL, NULL);
        /* the int arrays below need int alignment of the address itself */
        k = (int)(-(uintptr_t)(S->base + S->used) & (sizeof(int) - 1));
        if (S->cap - S->used < (size_t)k) { S->overflow = 1; return 0; }
        S->used += (size_t)k;
        off = (int *)(void *)nv_salloc(S, sizeof(int) * (size_t)(c->ntok + 1));
        len = (int *)(void *)nv_salloc(S, sizeof(int) * (size_t)(c->ntok + 1));
        if (!off || !len) return 0;
        nv_tokens(t->tokenizer, s, off, len);
        c->src = text; c->norm = s; c->off = off; c->len = len;
    }
    nt = nv_tokens(t->tokenizer, term, NULL, NULL);
    if (nt == 0 || nt > 64) return 0;
    nv_tokens(t->tokenizer, term, toff, tlen);
    for (i = 0; i + nt <= c->ntok; i++) {
        for (j = 0; j < nt; j++)
            if (c->len[i + j] != tlen[j] ||
                !nv_tokeq(c->norm + c->off[i + j], term + toff[j], tlen[j], t->cs)) break;
        if (j == nt) count++;
    }
    return count;
}
