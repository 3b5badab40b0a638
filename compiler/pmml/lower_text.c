/* PMML's TextIndex to IR: how often a term occurs in a text, after the
 * index's normalizations, tokenization and matching rules.  The counting
 * itself is run-time code (runtime/lib/text.c); here the index's settings
 * become an IrTextIndex the backend prints as constant data. */
#include "lower_pmml.h"

#include <stdio.h>
#include <string.h>

/* A replacement text of Java's Matcher.replaceAll (what JPMML uses for
   replace and for the normalization tables of a TextIndex): "\\x" is x, "$n"
   is group n (as many digits as name a group), anything else itself.  As
   the run-time template (runtime/lib/regex.c nv_rx_expand): literal bytes,
   and byte 1 then (n + 1) for group n.  *maxref: the highest group used
   (-1 none).  NULL after an error: a reference Java would refuse. */
const char *lower_replacement(Lower *L, const XElem *at, const char *repl, int ngroups, int *maxref)
{
    StrBuf o;
    sb_init(&o);
    *maxref = -1;
    for (const char *q = repl; *q; q++) {
        if (*q == '\\') {
            if (!q[1]) {
                diag_error(L->d, lloc(L, at), "replacement '%s' ends with a lone backslash (Java refuses it)", repl);
                sb_free(&o);
                return NULL;
            }
            sb_putc(&o, *++q);
            continue;
        }
        if (*q != '$') {
            sb_putc(&o, *q);
            continue;
        }
        if (q[1] < '0' || q[1] > '9') {
            diag_error(L->d, lloc(L, at), "replacement '%s': '$' must be followed by a group number (write \\$ "
                       "for the character%s)", repl, q[1] == '{' ? "; named groups are not supported" : "");
            sb_free(&o);
            return NULL;
        }
        int g = *++q - '0';
        while (q[1] >= '0' && q[1] <= '9' && g * 10 + (q[1] - '0') <= ngroups)
            g = g * 10 + (*++q - '0');
        if (g > ngroups) {
            diag_error(L->d, lloc(L, at), "replacement '%s' refers to group %d, the pattern has %d", repl, g, ngroups);
            sb_free(&o);
            return NULL;
        }
        sb_putc(&o, 1);
        sb_putc(&o, (char)(g + 1));
        if (g > *maxref)
            *maxref = g;
    }
    const char *r = arena_strdup(L->a, o.data ? o.data : "");
    sb_free(&o);
    return r;
}

/* a pattern of the model compiled, or NULL after an error at `at` */
IrRegex *lower_regex(Lower *L, const XElem *at, const char *what, const char *pat, int caseless, int literal)
{
    char err[300];
    IrRegex *re = ir_regex(L->a, pat, caseless, literal, err, sizeof err);
    if (!re)
        diag_error(L->d, lloc(L, at), "%s '%s': %s", what, pat, err);
    return re;
}

/* a pattern of the form \b(w1|w2|...)\b over ASCII word characters: whole
   words, replaced through a sorted list rather than the regex machine (a
   stop-word list of hundreds of words would be a big program); -1 when it
   is not one */
static int word_alternation(Lower *L, const char *re, const char ***words)
{
    size_t n = strlen(re);
    if (n < 7 || strncmp(re, "\\b(", 3) != 0 || strcmp(re + n - 3, ")\\b") != 0)
        return -1;
    int cnt = 0, cap = 0;
    const char **w = NULL;
    const char *p = re + 3, *end = re + n - 3;
    while (p <= end) {
        const char *q = p;
        while (q < end && *q != '|')
            q++;
        if (q == p)
            return -1;
        for (const char *c = p; c < q; c++)
            if (!(*c == '_' || (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')))
                return -1;
        const char *word = arena_strndup(L->a, p, (size_t)(q - p));
        VEC_PUSH(L->a, w, cnt, cap, word);
        p = q + 1;
    }
    *words = w;
    return cnt;
}

/* an xs:boolean attribute: 1, 0, or dflt when absent; -1 after an error */
static int bool_attr(Lower *L, const XElem *e, const char *name, int dflt)
{
    const char *v = xattr(e, name);
    if (!v)
        return dflt;
    if (!strcmp(v, "true") || !strcmp(v, "1"))
        return 1;
    if (!strcmp(v, "false") || !strcmp(v, "0"))
        return 0;
    diag_error(L->d, aloc(L, e, name), "%s '%s' is not a boolean", name, v);
    return -1;
}

/* maxLevenshteinDistance: a count from 0 (-1 after an error) */
static int lev_attr(Lower *L, const XElem *e, int dflt)
{
    const char *v = xattr(e, "maxLevenshteinDistance");
    long long n;
    if (!v)
        return dflt;
    if (!parse_long(v, &n) || n < 0 || n > 100) {
        diag_error(L->d, aloc(L, e, "maxLevenshteinDistance"), "maxLevenshteinDistance '%s' is not a count "
                   "from 0 to 100", v);
        return -1;
    }
    return (int)n;
}

/* the tokenizer an element's attributes ask for (the index's, or a
   normalization's own, which JPMML checks but does not use) */
static int tokenizer(Lower *L, const XElem *e, IrTextIndex *t, int tok)
{
    const char *wre = xattr(e, "wordRE") ? xattr(e, "wordRE") : xattr(e, "x-wordRE");
    const char *sep = xattr(e, "wordSeparatorCharacterRE");
    if (!tok) {
        if (t)
            t->tokenizer = TOK_NONE;
        return 1;
    }
    if (wre && !strcmp(wre, "\\w+")) {
        if (t)
            t->tokenizer = TOK_WORDS;
        return 1;
    }
    if (!wre && (!sep || !strcmp(sep, "\\s+"))) {
        if (t)
            t->tokenizer = TOK_SPACE;
        return 1;
    }
    IrRegex *re = lower_regex(L, e, wre ? "wordRE" : "wordSeparatorCharacterRE", wre ? wre : sep, 0, 0);
    if (!re)
        return 0;
    if (t) {
        t->tokenizer = wre ? TOK_MATCH : TOK_SPLIT;
        t->tok_regex = ir_add_regex(&L->b, re);
    }
    return 1;
}

/* a TextIndexNormalization's table as rules */
static int lower_normalization(Lower *L, const XElem *c, IrTextIndex *t, IrTextNorm *nm)
{
    int cs = bool_attr(L, c, "isCaseSensitive", t->case_sensitive);
    int rec = bool_attr(L, c, "recursive", 0), tok = bool_attr(L, c, "tokenize", 1);
    if (cs < 0 || rec < 0 || tok < 0 || lev_attr(L, c, 0) < 0 || !tokenizer(L, c, NULL, tok))
        return 0;
    nm->recursive = rec;
    const char *inf = xattr(c, "inField") ? xattr(c, "inField") : "string";
    const char *outf = xattr(c, "outField") ? xattr(c, "outField") : "stem";
    const char *ref = xattr(c, "regexField") ? xattr(c, "regexField") : "regex";
    const XElem *tab = xchild(c, "InlineTable");
    if (!tab) {
        diag_error(L->d, lloc(L, c), "TextIndexNormalization needs an InlineTable%s",
                   xchild(c, "TableLocator") ? " (a TableLocator's table is outside the document)" : "");
        return 0;
    }
    int cap = 0;
    for (int r = 0; r < tab->nkids; r++) {
        const XElem *row = tab->kids[r];
        if (strcmp(row->name, "row") != 0)
            continue;
        const XElem *ic = xchild(row, inf), *oc = xchild(row, outf), *rc = xchild(row, ref);
        if (!ic || !oc) {
            diag_error(L->d, lloc(L, row), "normalization row needs '%s' and '%s' cells", inf, outf);
            return 0;
        }
        IrTextRule rule = {.cs = cs, .out = oc->text};
        int is_re = rc && (!strcmp(rc->text, "true") || !strcmp(rc->text, "TRUE") || !strcmp(rc->text, "True"));
        /* a row of whole words with a plain replacement: the fast path */
        if (is_re && !strpbrk(oc->text, "$\\") && (rule.nstrs = word_alternation(L, ic->text, &rule.strs)) >= 0) {
            rule.words = 1;
        } else {
            IrRegex *re = lower_regex(L, ic, is_re ? "normalization pattern" : "normalization text", ic->text, !cs, !is_re);
            if (!re)
                return 0;
            int maxref;
            rule.out = lower_replacement(L, oc, oc->text, re->ngroups, &maxref);
            if (!rule.out)
                return 0;
            re->ncap = maxref > 0 ? 2 * (maxref + 1) : 2;
            rule.regex = ir_add_regex(&L->b, re);
        }
        VEC_PUSH(L->a, nm->rules, nm->nrules, cap, rule);
    }
    return 1;
}

IrExpr *lower_text_index(Lower *L, Scope *s, const XElem *e)
{
    IrBuilder *b = &L->b;
    Field *f = need_field(L, s, xattr(e, "textField"), e);
    if (!f)
        return NULL;
    IrTextIndex *t = NULL;
    for (int i = 0; i < L->ntix; i++)
        if (L->tix_elems[i] == e)
            t = L->tix[i]; /* the same index (a DefineFunction called many times): shared */
    const XElem *term_e = NULL;
    for (int k = 0; k < e->nkids; k++)
        if (strcmp(e->kids[k]->name, "Extension") && strcmp(e->kids[k]->name, "TextIndexNormalization"))
            term_e = e->kids[k];
    if (!term_e) {
        diag_error(L->d, lloc(L, e), "TextIndex needs a term expression");
        return NULL;
    }
    if (!t) {
        t = ARENA_NEW(L->a, IrTextIndex);
        t->loc = lloc(L, e);
        int cs = bool_attr(L, e, "isCaseSensitive", 0), tok = bool_attr(L, e, "tokenize", 1);
        t->max_lev = lev_attr(L, e, 0);
        if (cs < 0 || tok < 0 || t->max_lev < 0)
            return NULL;
        t->case_sensitive = cs;
        const char *lw = xattr(e, "localTermWeights");
        if (!lw || !strcmp(lw, "termFrequency"))
            t->weight = TW_TERM_FREQUENCY;
        else if (!strcmp(lw, "binary"))
            t->weight = TW_BINARY;
        else if (!strcmp(lw, "logarithmic"))
            t->weight = TW_LOGARITHMIC;
        else if (!strcmp(lw, "augmentedNormalizedTermFrequency"))
            t->weight = TW_AUGMENTED;
        else {
            diag_error(L->d, aloc(L, e, "localTermWeights"), "localTermWeights '%s' is not known", lw);
            return NULL;
        }
        const char *ch = xattr(e, "countHits");
        if (ch && strcmp(ch, "allHits") && strcmp(ch, "bestHits")) {
            diag_error(L->d, aloc(L, e, "countHits"), "countHits '%s' is not known", ch);
            return NULL;
        }
        t->best_hits = ch && !strcmp(ch, "bestHits");
        if (!tokenizer(L, e, t, tok))
            return NULL;
        int cap = 0;
        for (int k = 0; k < e->nkids; k++) {
            const XElem *c = e->kids[k];
            if (strcmp(c->name, "TextIndexNormalization") != 0)
                continue;
            IrTextNorm nm = {0};
            if (!lower_normalization(L, c, t, &nm))
                return NULL;
            VEC_PUSH(L->a, t->norms, t->nnorms, cap, nm);
        }
        int ntix = L->ntix;
        VEC_PUSH(L->a, L->tix_elems, L->ntix, L->cap_tix, e);
        VEC_PUSH(L->a, L->tix, ntix, L->cap_tix2, t);
    }
    IrExpr *term = lower_expr(L, s, term_e);
    if (!term)
        return NULL;
    IrExpr *text = ir_var(b, f->var);
    if (ir_base(text->type)->kind != T_STRING)
        text = ir_cast(b, ir_type(T_STRING), text);
    if (ir_base(term->type)->kind != T_STRING)
        term = ir_cast(b, ir_type(T_STRING), term);
    return ir_text_index(b, t, text, term);
}
