/* regex.c -- regular expressions of PMML models (matches, replace, the
 * TextIndex word and separator patterns), run by a Pike VM.
 *
 * Why this way: a model's patterns are constants, so nerva compiles each
 * one when it compiles the model (compiler/ir/regex.c) into a small program
 * that the generated unit carries as data; this file is the machine that
 * runs such programs.  No regex library is linked, and the matcher's time
 * is linear in the text (times the program's size): a hostile pattern or
 * text cannot make it backtrack for ever.  The Pike VM keeps its threads in
 * priority order, so it finds the match a backtracking engine (PCRE, which
 * the standard names) finds: leftmost, then by the order of alternatives
 * and the greediness of quantifiers; tests/unit/test_regex_diff.c checks it
 * against PCRE2 on many generated patterns and texts.
 *
 * Text is UTF-8, matched by code point; a byte that is not part of valid
 * UTF-8 is a character of its own (0x110000 + the byte) that only ".",
 * \D, \W, \S and negated classes match.  Work space comes from the
 * record's scratch area (text.c) and is given back after each search.
 *
 * A program is an array of instructions of three ints (op, x, y); a
 * character class is a count n then n ranges (lo, hi) of code points,
 * sorted and disjoint, at offset x of the class table. */

/*@ section pmml_regex needs scratch */
enum {
    NV_RX_CHAR,    /* the code point x */
    NV_RX_ANY,     /* any character but \n */
    NV_RX_ANYNL,   /* any character */
    NV_RX_CLASS,   /* a character of class x */
    NV_RX_SPLIT,   /* go on at x, and (with lower priority) at y */
    NV_RX_JMP,     /* go on at x */
    NV_RX_SAVE,    /* capture slot x := the position */
    NV_RX_MATCH,
    NV_RX_BOL,     /* ^: the start of the text */
    NV_RX_MBOL,    /* ^ multiline: the start, or after a \n that does not end the text */
    NV_RX_EOL,     /* $ and \Z: the end, or before a \n that ends the text */
    NV_RX_MEOL,    /* $ multiline: the end, or before any \n */
    NV_RX_BEGIN,   /* \A */
    NV_RX_END,     /* \z */
    NV_RX_WORDB,   /* \b (ASCII word characters) */
    NV_RX_NWORDB   /* \B */
};

typedef struct nv_rx {
    const int *prog;   /* 3 ints per instruction */
    const int *cls;    /* the class table */
    int ninst;
    int ncap;          /* capture slots: 2 per group, group 0 the match */
} nv_rx;

/* the character at s[i] (i < n) and its length in bytes */
NV_RT int nv_utf8_at(const unsigned char *s, size_t i, size_t n, int *len)
{
    unsigned c = s[i], need, cp, k;
    if (c < 0x80) { *len = 1; return (int)c; }
    if (c >= 0xc2 && c <= 0xdf) { need = 1; cp = c & 0x1f; }
    else if (c >= 0xe0 && c <= 0xef) { need = 2; cp = c & 0x0f; }
    else if (c >= 0xf0 && c <= 0xf4) { need = 3; cp = c & 0x07; }
    else { *len = 1; return 0x110000 + (int)c; }
    if (i + need >= n) { *len = 1; return 0x110000 + (int)c; }
    for (k = 1; k <= need; k++) {
        unsigned d = s[i + k];
        if ((d & 0xc0) != 0x80) { *len = 1; return 0x110000 + (int)c; }
        cp = (cp << 6) | (d & 0x3f);
    }
    /* no overlong forms, no surrogates, nothing past U+10FFFF */
    if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
        *len = 1;
        return 0x110000 + (int)c;
    }
    *len = (int)need + 1;
    return (int)cp;
}

NV_RT int nv_rx_in_class(const int *cls, int c)
{
    int lo = 0, hi = cls[0] - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (c < cls[1 + 2 * mid]) hi = mid - 1;
        else if (c > cls[2 + 2 * mid]) lo = mid + 1;
        else return 1;
    }
    return 0;
}

NV_RT int nv_rx_word(const unsigned char *s, size_t i, size_t n)
{
    unsigned c;
    if (i >= n) return 0;
    c = s[i];
    return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* whether the zero-width assertion op holds at position i */
NV_RT int nv_rx_assert(int op, const unsigned char *s, size_t i, size_t n)
{
    switch (op) {
    case NV_RX_BOL: case NV_RX_BEGIN: return i == 0;
    case NV_RX_MBOL: return i == 0 || (s[i - 1] == '\n' && i < n);
    case NV_RX_EOL: return i == n || (i + 1 == n && s[i] == '\n');
    case NV_RX_MEOL: return i == n || s[i] == '\n';
    case NV_RX_END: return i == n;
    case NV_RX_WORDB: return (i > 0 && nv_rx_word(s, i - 1, n)) != nv_rx_word(s, i, n);
    default: return (i > 0 && nv_rx_word(s, i - 1, n)) == nv_rx_word(s, i, n);
    }
}

/* a thread list: pcs in priority order, each with its capture slots */
typedef struct nv_rxlist { int n, gen; int *pc; int *cap; int *mark; } nv_rxlist;

/* Adds the thread at pc with captures cur to list l at position i,
   following jumps, splits, saves and assertions (in priority order, with an
   explicit stack: a big program does not deepen the C stack).  The list's
   generation marks the instructions it has seen: each joins it once. */
NV_RT void nv_rx_add(const nv_rx *re, nv_rxlist *l, int pc0, int *cur, int *stack, const unsigned char *s,
                     size_t i, size_t n)
{
    int sp = 0, nc = re->ncap;
    stack[sp++] = pc0;
    stack[sp++] = -1;
    while (sp > 0) {
        int slot = stack[--sp], pc = stack[--sp];
        const int *in;
        if (pc < 0) {
            /* undo a save on the way back */
            cur[-pc - 1] = slot;
            continue;
        }
        if (l->mark[pc] == l->gen)
            continue;
        l->mark[pc] = l->gen;
        in = re->prog + 3 * pc;
        switch (in[0]) {
        case NV_RX_JMP:
            stack[sp++] = in[1]; stack[sp++] = -1;
            break;
        case NV_RX_SPLIT:
            stack[sp++] = in[2]; stack[sp++] = -1;
            stack[sp++] = in[1]; stack[sp++] = -1;
            break;
        case NV_RX_SAVE:
            if (in[1] < nc) {
                stack[sp++] = -in[1] - 1; stack[sp++] = cur[in[1]];
                cur[in[1]] = (int)i;
            }
            stack[sp++] = pc + 1; stack[sp++] = -1;
            break;
        case NV_RX_BOL: case NV_RX_MBOL: case NV_RX_EOL: case NV_RX_MEOL:
        case NV_RX_BEGIN: case NV_RX_END: case NV_RX_WORDB: case NV_RX_NWORDB:
            if (nv_rx_assert(in[0], s, i, n)) {
                stack[sp++] = pc + 1; stack[sp++] = -1;
            }
            break;
        default:
            l->pc[l->n] = pc;
            memcpy(l->cap + (size_t)l->n * (size_t)nc, cur, sizeof *cur * (size_t)nc);
            l->n++;
            break;
        }
    }
}

/* Work space of a search: two thread lists (pcs, marks, captures), the
   stack and the working captures, in ints.  The backend sizes the scratch
   area of a unit that uses regexes by this. */
NV_RT size_t nv_rx_work(const nv_rx *re)
{
    size_t ni = (size_t)re->ninst, nc = (size_t)re->ncap;
    return (4 * ni + 6 * ni + 4 + 2 * ni * nc + nc) * sizeof(int) + sizeof(int);
}

/* The first match of re in s[0..n) that starts at or after `from`: 1 with
   cap[0..re->ncap) set (byte offsets; -1 for a group that took no part), 0
   when there is none, -1 when the scratch area is exhausted (the record
   fails with NERVA_ERROR).  Texts of INT_MAX bytes or more are refused
   (-1). */
NV_RT int nv_rx_search(nv_scratch *S, const nv_rx *re, const char *text, size_t n, size_t from, int *cap)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t mark0 = S->used, ni = (size_t)re->ninst, nc = (size_t)re->ncap, i, k;
    nv_rxlist a, b, *cl = &a, *nl = &b, *t;
    int *ip, *cur, *stack, matched = 0, gen = 0, len = 1;
    char *base;
    if (n >= (size_t)INT_MAX) {
        S->overflow = 1;
        return -1;
    }
    /* int-aligned */
    k = (size_t)(-(uintptr_t)(S->base + S->used) & (sizeof(int) - 1));
    if (S->cap - S->used < k || (S->used += k, !(base = nv_salloc(S, nv_rx_work(re) - sizeof(int))))) {
        S->used = mark0;
        S->overflow = 1;
        return -1;
    }
    ip = (int *)(void *)base;
    a.pc = ip; a.mark = ip + ni;
    b.pc = ip + 2 * ni; b.mark = ip + 3 * ni;
    stack = ip + 4 * ni;
    a.cap = stack + 6 * ni + 4;
    b.cap = a.cap + ni * nc;
    cur = b.cap + ni * nc;
    for (k = 0; k < ni; k++)
        a.mark[k] = b.mark[k] = -1;
    a.n = b.n = 0;
    a.gen = ++gen;
    for (i = from;; i += (size_t)len) {
        int c = -1, gi;
        if (!matched) {
            /* a new thread at i, below every thread already running */
            for (k = 0; k < nc; k++)
                cur[k] = -1;
            nv_rx_add(re, cl, 0, cur, stack, s, i, n);
        }
        if (cl->n == 0 && matched)
            break;
        len = 1;
        if (i < n)
            c = nv_utf8_at(s, i, n, &len);
        nl->n = 0;
        nl->gen = ++gen;
        for (gi = 0; gi < cl->n; gi++) {
            const int *in = re->prog + 3 * cl->pc[gi];
            int *tc = cl->cap + (size_t)gi * nc;
            int ok = 0;
            switch (in[0]) {
            case NV_RX_MATCH:
                memcpy(cap, tc, sizeof *cap * nc);
                matched = 1;
                gi = cl->n; /* the threads after it have lower priority */
                continue;
            case NV_RX_CHAR: ok = c == in[1]; break;
            case NV_RX_ANY: ok = c >= 0 && c != '\n'; break;
            case NV_RX_ANYNL: ok = c >= 0; break;
            case NV_RX_CLASS: ok = c >= 0 && nv_rx_in_class(re->cls + in[1], c); break;
            default: break;
            }
            if (ok) {
                memcpy(cur, tc, sizeof *cur * nc);
                nv_rx_add(re, nl, cl->pc[gi] + 1, cur, stack, s, i + (size_t)len, n);
            }
        }
        t = cl; cl = nl; nl = t;
        if (i >= n)
            break;
    }
    S->used = mark0;
    return matched;
}

/*@ section pmml_regex_ops needs pmml_regex */
/* What PMML does with a pattern, as JPMML (java.util.regex's Matcher)
   does it: matches is find(), replace is replaceAll, and a TextIndex walks
   find() from match to match.  A program has at most NV_RX_MAXCAP capture
   slots (the compiler's limit: 31 groups). */
#define NV_RX_MAXCAP 64

/* Matcher.find(): the next match after the previous one, whose bounds are
   *first and *last (-1 and 0 before the first); after an empty match the
   search starts one character further */
NV_RT int nv_rx_find(nv_scratch *S, const nv_rx *re, const char *s, size_t n, long long *first, size_t *last,
                     int *cap)
{
    size_t from = *last;
    int r, len;
    if ((long long)from == *first) {
        if (from >= n)
            return 0;
        nv_utf8_at((const unsigned char *)s, from, n, &len);
        from += (size_t)len;
    }
    r = nv_rx_search(S, re, s, n, from, cap);
    if (r > 0) {
        *first = (long long)cap[0];
        *last = (size_t)cap[1];
    }
    return r;
}

/* PMML's matches: "the string matches if any substring matches" (find) */
NV_RT int nv_rx_matches(nv_scratch *S, const nv_rx *re, const char *s)
{
    int cap[NV_RX_MAXCAP];
    return nv_rx_search(S, re, s, strlen(s), 0, cap) > 0;
}

/* the length of the replacement tmpl of one match (out NULL) or the text
   written to out: literal bytes, and \001 followed by (group + 1) for a
   group's text (nothing for a group that took no part) */
NV_RT size_t nv_rx_expand(const char *s, const int *cap, int ncap, const char *tmpl, char *out)
{
    size_t k = 0;
    for (; *tmpl; tmpl++) {
        if (*tmpl == 1 && tmpl[1]) {
            int g = (unsigned char)*++tmpl - 1;
            if (2 * g + 1 < ncap && cap[2 * g] >= 0) {
                size_t len = (size_t)(cap[2 * g + 1] - cap[2 * g]);
                if (out)
                    memcpy(out + k, s + cap[2 * g], len);
                k += len;
            }
            continue;
        }
        if (out)
            out[k] = *tmpl;
        k++;
    }
    return k;
}

/* PMML's replace (Matcher.replaceAll): every match of re in s replaced by
   tmpl (see nv_rx_expand).  Two passes, one to measure and one to write,
   so the result is one block of the scratch area; "" after an error (the
   record then fails). */
NV_RT const char *nv_rx_replace(nv_scratch *S, const nv_rx *re, const char *s, const char *tmpl)
{
    int cap[NV_RX_MAXCAP];
    size_t n = strlen(s), total = 0, at, last, k;
    long long first;
    char *out = NULL;
    int pass, r;
    for (pass = 0; pass < 2; pass++) {
        first = -1;
        last = 0;
        at = 0;
        k = 0;
        while ((r = nv_rx_find(S, re, s, n, &first, &last, cap)) > 0) {
            if (out)
                memcpy(out + k, s + at, (size_t)cap[0] - at);
            k += (size_t)cap[0] - at;
            k += nv_rx_expand(s, cap, re->ncap, tmpl, out ? out + k : NULL);
            at = (size_t)cap[1];
        }
        if (r < 0)
            return "";
        if (out)
            memcpy(out + k, s + at, n - at);
        k += n - at;
        if (!pass) {
            total = k;
            if (!(out = nv_salloc(S, total + 1)))
                return "";
        }
    }
    out[total] = 0;
    return out;
}
