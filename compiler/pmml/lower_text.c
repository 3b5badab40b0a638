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

/* a regex of the form \b(w1|w2|...)\b over word characters: whole words */
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
            if (!(*c == '_' || (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') ||
                  (*c >= 'A' && *c <= 'Z') || (unsigned char)*c >= 0x80))
                return -1;
        const char *word = arena_strndup(L->a, p, (size_t)(q - p));
        VEC_PUSH(L->a, w, cnt, cap, word);
        p = q + 1;
    }
    *words = w;
    return cnt;
}

IrExpr *lower_text_index(Lower *L, Scope *s, const XElem *e)
{
    IrBuilder *b = &L->b;
    Field *f = need_field(L, s, xattr(e, "textField"), e);
    if (!f)
        return NULL;
    for (int i = 0; i < L->ntix; i++)
        if (L->tix_elems[i] == e) {
            /* the same index (a DefineFunction called many times): share it */
            const XElem *term_e = NULL;
            for (int k = 0; k < e->nkids; k++)
                if (strcmp(e->kids[k]->name, "Extension") && strcmp(e->kids[k]->name, "TextIndexNormalization"))
                    term_e = e->kids[k];
            IrExpr *term = term_e ? lower_expr(L, s, term_e) : NULL;
            if (!term)
                return NULL;
            IrExpr *text = ir_var(b, f->var);
            if (ir_base(text->type)->kind != T_STRING)
                text = ir_cast(b, ir_type(T_STRING), text);
            if (ir_base(term->type)->kind != T_STRING)
                term = ir_cast(b, ir_type(T_STRING), term);
            return ir_cast(b, ir_type(T_DOUBLE), ir_text_index(b, L->tix[i], text, term));
        }
    IrTextIndex *t = ARENA_NEW(L->a, IrTextIndex);
    t->loc = lloc(L, e);
    const char *cs = xattr(e, "isCaseSensitive");
    t->case_sensitive = cs && !strcmp(cs, "true");
    const char *lw = xattr(e, "localTermWeights");
    if (!lw || !strcmp(lw, "termFrequency"))
        t->weight = TW_TERM_FREQUENCY;
    else if (!strcmp(lw, "binary"))
        t->weight = TW_BINARY;
    else if (!strcmp(lw, "logarithmic"))
        t->weight = TW_LOGARITHMIC;
    else {
        diag_error(L->d, aloc(L, e, "localTermWeights"), "localTermWeights \'%s\' is not supported yet", lw);
        return NULL;
    }
    const char *ml = xattr(e, "maxLevenshteinDistance");
    if (ml && strcmp(ml, "0") != 0) {
        diag_error(L->d, lloc(L, e), "maxLevenshteinDistance other than 0 is not supported yet");
        return NULL;
    }
    const char *ch = xattr(e, "countHits");
    if (ch && strcmp(ch, "allHits") != 0) {
        diag_error(L->d, aloc(L, e, "countHits"), "countHits \'%s\' is not supported yet", ch);
        return NULL;
    }
    const char *tok = xattr(e, "tokenize");
    if (tok && strcmp(tok, "true") != 0) {
        diag_error(L->d, lloc(L, e), "TextIndex without tokenization is not supported yet");
        return NULL;
    }
    const char *wre = xattr(e, "wordRE");
    if (!wre)
        wre = xattr(e, "x-wordRE");
    const char *sep = xattr(e, "wordSeparatorCharacterRE");
    if (wre) {
        if (strcmp(wre, "\\w+") != 0) {
            diag_error(L->d, aloc(L, e, "wordRE"), "wordRE \'%s\' is not supported yet (only \\w+)", wre);
            return NULL;
        }
        t->tokenizer = TOK_WORD_RUNS;
    } else {
        if (sep && strcmp(sep, "\\s+") != 0 && strcmp(sep, "\\s") != 0 && strcmp(sep, "[\\s]+") != 0) {
            diag_error(L->d, aloc(L, e, "wordSeparatorCharacterRE"), "wordSeparatorCharacterRE \'%s\' is not supported yet (only \\s+)", sep);
            return NULL;
        }
        t->tokenizer = TOK_SPLIT_SPACE;
    }
    const XElem *term_e = NULL;
    int cap = 0;
    for (int k = 0; k < e->nkids; k++) {
        const XElem *c = e->kids[k];
        if (!strcmp(c->name, "Extension"))
            continue;
        if (strcmp(c->name, "TextIndexNormalization") != 0) {
            term_e = c;
            continue;
        }
        if (xattr(c, "wordRE") || xattr(c, "x-wordRE") || xattr(c, "wordSeparatorCharacterRE") ||
            xattr(c, "isCaseSensitive") || xattr(c, "maxLevenshteinDistance") || xattr(c, "tokenize")) {
            diag_error(L->d, lloc(L, c), "TextIndexNormalization overriding the index's settings is not supported yet");
            return NULL;
        }
        const char *rec = xattr(c, "recursive");
        t->recursive |= rec && !strcmp(rec, "true");
        const char *inf = xattr(c, "inField") ? xattr(c, "inField") : "string";
        const char *outf = xattr(c, "outField") ? xattr(c, "outField") : "stem";
        const char *ref = xattr(c, "regexField") ? xattr(c, "regexField") : "regex";
        const XElem *tab = xchild(c, "InlineTable");
        if (!tab) {
            diag_error(L->d, lloc(L, c), "TextIndexNormalization needs an InlineTable");
            return NULL;
        }
        for (int r = 0; r < tab->nkids; r++) {
            const XElem *row = tab->kids[r];
            if (strcmp(row->name, "row") != 0)
                continue;
            const XElem *ic = xchild(row, inf), *oc = xchild(row, outf), *rc = xchild(row, ref);
            if (!ic || !oc) {
                diag_error(L->d, lloc(L, row), "normalization row needs '%s' and '%s' cells", inf, outf);
                return NULL;
            }
            IrTextRule rule = {.out = oc->text};
            if (rc && !strcmp(rc->text, "true")) {
                rule.words = 1;
                rule.nstrs = word_alternation(L, ic->text, &rule.strs);
                if (rule.nstrs < 0) {
                    diag_error(L->d, lloc(L, ic), "normalization regex is not supported yet "
                               "(only \\b(word|word|...)\\b)");
                    return NULL;
                }
            } else {
                if (!*ic->text) {
                    diag_error(L->d, lloc(L, ic), "empty normalization string");
                    return NULL;
                }
                rule.strs = ARENA_ARRAY(L->a, const char *, 1);
                rule.strs[0] = ic->text;
                rule.nstrs = 1;
            }
            VEC_PUSH(L->a, t->rules, t->nrules, cap, rule);
        }
    }
    if (!term_e) {
        diag_error(L->d, lloc(L, e), "TextIndex needs a term expression");
        return NULL;
    }
    IrExpr *term = lower_expr(L, s, term_e);
    if (!term)
        return NULL;
    IrExpr *text = ir_var(b, f->var);
    if (ir_base(text->type)->kind != T_STRING)
        text = ir_cast(b, ir_type(T_STRING), text);
    if (ir_base(term->type)->kind != T_STRING)
        term = ir_cast(b, ir_type(T_STRING), term);
    int ntix = L->ntix;
    VEC_PUSH(L->a, L->tix_elems, L->ntix, L->cap_tix, e);
    VEC_PUSH(L->a, L->tix, ntix, L->cap_tix2, t);
    IrExpr *r = ir_text_index(b, t, text, term);
    return ir_cast(b, ir_type(T_DOUBLE), r);
}

