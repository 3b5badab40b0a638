/* textindex.c -- PMML's TextIndex: how often a term occurs in a text, as
 * JPMML counts it (TextUtil, TextSplitter, TextMatcher, and the
 * Levenshtein distance of commons-text).
 *
 * A text is normalized (each TextIndexNormalization's table of
 * replacements in order, again while a recursive one changes it), split
 * into tokens (by wordSeparatorCharacterRE, trimming punctuation; or the
 * matches of wordRE; or, tokenize="false", the whole text as one token),
 * and the term's tokens are looked for at every position: a hit is a run
 * of text tokens each within the remaining Levenshtein budget of the
 * term's token (case folded unless isCaseSensitive).  allHits counts every
 * hit, bestHits only those of the smallest total distance.  The text's
 * normalization and tokens are worked out once per record and kept in a
 * cache in the scratch area; the term's tokens each call.
 *
 * The common patterns have fast paths of their own, equal in meaning to
 * the regex (\s+ separators, \w+ words, and a normalization row
 * \b(w1|w2|...)\b: whole ASCII words looked up in a sorted list); any
 * other pattern runs on the regex machine (regex.c).  Tested in
 * tests/unit/test_pmml_rt.c. */

/*@ section text_index needs scratch pmml_regex_ops casemap */
typedef struct nv_trule {
    int words;                 /* 1: the whole ASCII words strs (sorted) become out; 0: rx's matches become out */
    const char *const *strs;
    int nstrs;
    const nv_rx *rx;
    const char *out;           /* words 1: literal; 0: a template (nv_rx_expand) */
    int cs;                    /* words 1: compared case-sensitively */
} nv_trule;
typedef struct nv_tnorm { const nv_trule *rules; int nrules; int recursive; } nv_tnorm;
typedef struct nv_tix {
    int tokenizer;             /* 0 split at \s+, 1 runs of \w, 2 split at tok's matches, 3 tok's matches, 4 none */
    const nv_rx *tok;
    int cs;                    /* isCaseSensitive */
    int maxlev;                /* maxLevenshteinDistance */
    int best;                  /* countHits bestHits */
    int weight;                /* 0 termFrequency, 1 binary, 2 logarithmic, 3 augmentedNormalizedTermFrequency */
    const nv_tnorm *norms;
    int nnorms;
} nv_tix;
typedef struct nv_tcache { const char *src, *norm; int ntok, maxf; const int *off, *len; } nv_tcache;

NV_RT int nv_wordch(unsigned char c)
{
    return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

NV_RT int nv_lc(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* Java's Character.toLowerCase and toUpperCase for the letters of ASCII,
   Latin-1, Latin Extended-A, Greek and Cyrillic (and the few characters
   Java maps onto ASCII letters: KELVIN SIGN, LONG S, dotted and dotless i);
   other characters are their own case. */
NV_RT int nv_lower(int c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 0xc0 && c <= 0xde && c != 0xd7) || (c >= 0x391 && c <= 0x3ab && c != 0x3a2) ||
        (c >= 0x410 && c <= 0x42f))
        return c + 32;
    if (c >= 0x400 && c <= 0x40f)
        return c + 80;
    if (c >= 0x100 && c <= 0x17f && c != 0x130 && c != 0x131 && c != 0x138 && c != 0x149 && c != 0x178 && c != 0x17f)
        return (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e) ? (c % 2 ? c + 1 : c) : (c % 2 ? c : c + 1);
    switch (c) {
    case 0x130: return 'i';
    case 0x178: return 0xff;
    case 0x212a: return 'k';
    default: return c;
    }
}

NV_RT int nv_upper(int c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 0xe0 && c <= 0xfe && c != 0xf7) || (c >= 0x3b1 && c <= 0x3cb && c != 0x3c2) ||
        (c >= 0x430 && c <= 0x44f))
        return c - 32;
    if (c >= 0x450 && c <= 0x45f)
        return c - 80;
    if (c >= 0x100 && c <= 0x17f && c != 0x130 && c != 0x131 && c != 0x138 && c != 0x149 && c != 0x178 && c != 0x17f)
        return (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e) ? (c % 2 ? c : c - 1) : (c % 2 ? c - 1 : c);
    switch (c) {
    case 0xff: return 0x178;
    case 0xb5: return 0x39c;
    case 0x131: return 'I';
    case 0x17f: return 'S';
    case 0x3c2: return 0x3a3;
    default: return c;
    }
}

/* equal as JPMML compares two characters (equalsIgnoreCase unless cs) */
NV_RT int nv_ch_eq(int a, int b, int cs)
{
    return a == b || (!cs && (nv_lower(a) == nv_lower(b) || nv_upper(a) == nv_upper(b)));
}

/* the code points of s[0..n) into cp (at most max); their count, or -1 */
NV_RT int nv_cps(const char *s, int n, int *cp, int max)
{
    int k = 0, i = 0, len;
    while (i < n) {
        if (k == max)
            return -1;
        cp[k++] = nv_utf8_at((const unsigned char *)s, (size_t)i, (size_t)n, &len);
        i += len;
    }
    return k;
}

/* the Levenshtein distance of tokens a and b when it is at most limit,
   else -1 (commons-text's limitedCompare, on code points) */
NV_RT int nv_lev(const char *a, int na, const char *b, int nb, int cs, int limit)
{
    int x[256], y[256], row[257], i, j, n, m;
    n = nv_cps(a, na, x, 256);
    m = nv_cps(b, nb, y, 256);
    if (n < 0 || m < 0)
        return -1; /* tokens of more than 256 characters: no near match counted */
    if ((n > m ? n - m : m - n) > limit)
        return -1;
    for (j = 0; j <= m; j++)
        row[j] = j;
    for (i = 1; i <= n; i++) {
        int diag = row[0], best;
        row[0] = i;
        best = row[0];
        for (j = 1; j <= m; j++) {
            int up = row[j], v = nv_ch_eq(x[i - 1], y[j - 1], cs) ? diag : 1 + (diag < up ? diag : up);
            if (row[j - 1] + 1 < v)
                v = row[j - 1] + 1;
            diag = up;
            row[j] = v;
            if (v < best)
                best = v;
        }
        if (best > limit)
            return -1;
    }
    return row[m] <= limit ? row[m] : -1;
}

/* two tokens equal (String.equals, or equalsIgnoreCase) */
NV_RT int nv_tok_eq(const char *a, int na, const char *b, int nb, int cs)
{
    int i = 0, j = 0, la, lb;
    if (cs)
        return na == nb && memcmp(a, b, (size_t)na) == 0;
    while (i < na && j < nb) {
        int ca = nv_utf8_at((const unsigned char *)a, (size_t)i, (size_t)na, &la);
        int cb = nv_utf8_at((const unsigned char *)b, (size_t)j, (size_t)nb, &lb);
        if (!nv_ch_eq(ca, cb, 0))
            return 0;
        i += la;
        j += lb;
    }
    return i == na && j == nb;
}

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

/* is the word a[0..n) among the rule's sorted words? */
NV_RT int nv_inset(const nv_trule *r, const char *a, size_t n)
{
    int lo = 0, hi = r->nstrs - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2, c = nv_ncmp(a, n, r->strs[mid], r->cs);
        if (c == 0) return 1;
        if (c < 0) hi = mid - 1; else lo = mid + 1;
    }
    return 0;
}

/* one rule of words over s (a \b(w1|...)\b replaceAll: whole runs of
   ASCII word characters that are one of the words) */
NV_RT const char *nv_words_apply(nv_scratch *S, const nv_trule *r, const char *s)
{
    size_t n = strlen(s), nout = strlen(r->out), need = 0, i, j, k;
    char *p = NULL;
    int pass;
    for (pass = 0; pass < 2; pass++) {
        k = 0;
        for (i = 0; i < n;) {
            if (nv_wordch((unsigned char)s[i])) {
                for (j = i; j < n && nv_wordch((unsigned char)s[j]); j++) ;
                if (nv_inset(r, s + i, j - i)) {
                    if (pass) memcpy(p + k, r->out, nout);
                    k += nout;
                } else {
                    if (pass) memcpy(p + k, s + i, j - i);
                    k += j - i;
                }
                i = j;
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
/* Java's \p{Punct}: ASCII punctuation */
NV_RT int nv_punct(unsigned char c) { return c > 32 && c < 127 && !(nv_wordch(c) && c != '_'); }

/* TermUtil.trimPunctuation of s[*a..*b) */
NV_RT void nv_trim_punct(const char *s, size_t *a, size_t *b)
{
    while (*a < *b && nv_punct((unsigned char)s[*a])) (*a)++;
    while (*b > *a && nv_punct((unsigned char)s[*b - 1])) (*b)--;
}

/* one token s[a..b): stored when off is given; counted */
NV_RT void nv_tok_put(int *off, int *len, int *n, size_t a, size_t b)
{
    if (off) {
        off[*n] = (int)a;
        len[*n] = (int)(b - a);
    }
    (*n)++;
}

/* The tokens of s as offsets and lengths (off NULL: only counted), as
   TextSplitter (split: tokens between separators, punctuation trimmed, the
   empty ones dropped), TextMatcher (each match, empty ones too) or one
   token (tokenize false) make them.  Returns the count, -1 on error. */
NV_RT int nv_tokens(nv_scratch *S, const nv_tix *t, const char *s, int *off, int *len)
{
    size_t n = strlen(s), i = 0, j, a, b, at = 0, last = 0;
    long long first = -1;
    int cnt = 0, cap[NV_RX_MAXCAP], r;
    switch (t->tokenizer) {
    case 0: /* \s+ */
        while (s[i]) {
            if (nv_space((unsigned char)s[i])) { i++; continue; }
            for (j = i; s[j] && !nv_space((unsigned char)s[j]); j++) ;
            a = i; b = j;
            nv_trim_punct(s, &a, &b);
            if (b > a) nv_tok_put(off, len, &cnt, a, b);
            i = j;
        }
        return cnt;
    case 1: /* \w+ */
        while (s[i]) {
            if (!nv_wordch((unsigned char)s[i])) { i++; continue; }
            for (j = i; s[j] && nv_wordch((unsigned char)s[j]); j++) ;
            nv_tok_put(off, len, &cnt, i, j);
            i = j;
        }
        return cnt;
    case 4: /* tokenize="false": the text is the token */
        a = 0; b = n;
        nv_trim_punct(s, &a, &b);
        if (b > a) nv_tok_put(off, len, &cnt, a, b);
        return cnt;
    default:
        if (n == 0)
            return 0;
        while ((r = nv_rx_find(S, t->tok, s, n, &first, &last, cap)) > 0) {
            if (t->tokenizer == 3)
                nv_tok_put(off, len, &cnt, (size_t)cap[0], (size_t)cap[1]);
            else {
                a = at; b = (size_t)cap[0];
                nv_trim_punct(s, &a, &b);
                if (b > a) nv_tok_put(off, len, &cnt, a, b);
                at = (size_t)cap[1];
            }
        }
        if (r < 0)
            return -1;
        if (t->tokenizer == 2) {
            a = at; b = n;
            nv_trim_punct(s, &a, &b);
            if (b > a) nv_tok_put(off, len, &cnt, a, b);
        }
        return cnt;
    }
}

/* int arrays of n in the scratch area (int-aligned), or NULL */
NV_RT int *nv_ints(nv_scratch *S, int n)
{
    size_t k = (size_t)(-(uintptr_t)(S->base + S->used) & (sizeof(int) - 1));
    if (S->cap - S->used < k) { S->overflow = 1; return NULL; }
    S->used += k;
    return (int *)(void *)nv_salloc(S, sizeof(int) * (size_t)(n + 1));
}

/* the text normalized by the index's tables */
NV_RT const char *nv_normalize(nv_scratch *S, const nv_tix *t, const char *s)
{
    int k, j, round;
    for (k = 0; k < t->nnorms; k++) {
        const nv_tnorm *nm = &t->norms[k];
        for (round = 0; round < (nm->recursive ? 64 : 1); round++) {
            const char *before = s;
            for (j = 0; j < nm->nrules; j++) {
                const nv_trule *r = &nm->rules[j];
                s = r->words ? nv_words_apply(S, r, s) : nv_rx_replace(S, r->rx, s, r->out);
            }
            if (S->overflow || strcmp(before, s) == 0)
                break;
        }
    }
    return s;
}

/* The TextIndex's value for text and term: the weighted count of the
   term's hits.  NaN when the scratch area runs out (the record then
   fails). */
NV_RT double nv_tf(nv_scratch *S, const nv_tix *t, nv_tcache *c, const char *text, const char *term)
{
    int *toff, *tlen, nt, i, j, freq = 0, bestd = INT_MAX;
    size_t mark;
    if (c->src != text) {
        const char *s = nv_normalize(S, t, text);
        int *off, *len, n = nv_tokens(S, t, s, NULL, NULL);
        if (n < 0 || S->overflow || !(off = nv_ints(S, n)) || !(len = nv_ints(S, n)))
            return NAN;
        nv_tokens(S, t, s, off, len);
        c->src = text; c->norm = s; c->off = off; c->len = len; c->ntok = n; c->maxf = 0;
        if (t->weight == 3)
            /* augmented: the count of the text's most frequent token, each
               compared as terms are (case folded unless isCaseSensitive) */
            for (i = 0; i < n; i++) {
                int f = 0;
                for (j = 0; j < n; j++)
                    f += nv_tok_eq(s + off[i], len[i], s + off[j], len[j], t->cs);
                if (f > c->maxf)
                    c->maxf = f;
            }
    }
    mark = S->used;
    nt = nv_tokens(S, t, term, NULL, NULL);
    if (nt < 0 || !(toff = nv_ints(S, nt)) || !(tlen = nv_ints(S, nt)))
        return NAN;
    nv_tokens(S, t, term, toff, tlen);
    if (nt == 0 || c->ntok == 0) {
        S->used = mark;
        return 0;
    }
    for (i = 0; i + nt <= c->ntok; i++) {
        int d = 0;
        for (j = 0; j < nt; j++) {
            const char *x = c->norm + c->off[i + j], *y = term + toff[j];
            int left = t->maxlev - d, dj;
            if (left == 0) {
                if (!nv_tok_eq(x, c->len[i + j], y, tlen[j], t->cs))
                    break;
                continue;
            }
            dj = nv_lev(x, c->len[i + j], y, tlen[j], t->cs, left);
            if (dj < 0)
                break;
            d += dj;
        }
        if (j < nt)
            continue;
        if (!t->best)
            freq++;
        else if (d < bestd) {
            bestd = d;
            freq = 1;
        } else if (d == bestd)
            freq++;
    }
    S->used = mark;
    switch (t->weight) {
    case 1: return freq > 0 ? 1 : 0;
    case 2: return log10(1.0 + freq);
    case 3: return 0.5 * ((freq > 0 ? 1 : 0) + (double)freq / c->maxf);
    default: return freq;
    }
}
