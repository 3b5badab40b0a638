/* The regex compiler (compiler/ir/regex.c) and matcher (runtime/lib/regex.c)
 * against PCRE2, the engine whose meaning nerva gives (the PMML standard
 * names PCRE): many generated patterns, each run on many generated texts,
 * must find the same match and the same groups, from every start offset a
 * Matcher.find() walk uses.  A pattern nerva refuses is counted, not
 * compared; one nerva compiles and PCRE2 refuses is a failure.
 *
 * PCRE2 (Debian's libpcre2-dev) is the reference in this test only:
 * generated code never links it.  Deterministic: a fixed seed.
 *
 *   unit_regex_diff [patterns] [texts per pattern] [seed]
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"
#include "lib.c"

static const int opmap[RE__COUNT] = {
#define X(k) [RE_##k] = NV_RX_##k,
    IR_RE_OPS(X)
#undef X
};

static unsigned long long rng = 88172645463325252ULL;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

/* characters of texts and pattern literals: ASCII of every class, \n,
   and the non-ASCII letters that case folding and \w / \b treat apart */
static const char *const chars[] = {"a", "b", "c", "A", "B", "k", "s", "S", "1", "2", " ", "\n", "_", ".", "-",
                                    "\xc3\xa9" /* e acute */, "\xe2\x84\xaa" /* KELVIN SIGN */,
                                    "\xc5\xbf" /* LONG S */, "\xc4\xb0" /* I with dot */, "\t", "x"};
#define NCHARS (sizeof chars / sizeof *chars)

static void put(char **o, const char *s)
{
    size_t n = strlen(s);
    memcpy(*o, s, n);
    *o += n;
}

static int gen_atom(char **o, int depth);

static void gen_seq(char **o, int depth)
{
    int n = 1 + (int)rnd(3);
    for (int i = 0; i < n; i++) {
        if (gen_atom(o, depth))
            continue; /* an assertion: not repeated */
        switch (rnd(12)) {
        case 0: put(o, "*"); break;
        case 1: put(o, "+"); break;
        case 2: put(o, "?"); break;
        case 3: put(o, "*?"); break;
        case 4: put(o, "+?"); break;
        case 5: put(o, "??"); break;
        case 6: { char b[16]; sprintf(b, "{%u}", rnd(3)); put(o, b); break; }
        case 7: { char b[16]; sprintf(b, "{%u,}", rnd(3)); put(o, b); break; }
        case 8: { char b[24]; unsigned lo = rnd(3); sprintf(b, "{%u,%u}%s", lo, lo + rnd(3), rnd(2) ? "?" : ""); put(o, b); break; }
        default: break;
        }
    }
}

static void gen_alt(char **o, int depth)
{
    gen_seq(o, depth);
    while (rnd(4) == 0) {
        put(o, "|");
        if (rnd(6))
            gen_seq(o, depth);
    }
}

/* one atom; returns 1 for an assertion */
static int gen_atom(char **o, int depth)
{
    static const char *const simple[] = {".", "\\d", "\\w", "\\s", "\\D", "\\W", "\\S", "[ab]", "[^a]",
                                         "[a-c]", "[^\\s]", "[\\w.]", "[A-Z_]", "\\.", "\\n", "\\x{e9}",
                                         "[[:alpha:]]", "[[:^digit:]]", "\\h", "[ks]", "[^K]"};
    static const char *const asserts[] = {"\\b", "\\B", "^", "$", "\\Z", "\\A", "\\z"};
    unsigned r = rnd(depth > 3 ? 11 : 15);
    if (r < 5) {
        const char *c = chars[rnd(NCHARS)];
        if (!strcmp(c, "."))
            put(o, "\\.");
        else if (!strcmp(c, "\n"))
            put(o, "\\n");
        else if (!strcmp(c, "\t"))
            put(o, "\\t");
        else
            put(o, c);
    } else if (r < 9)
        put(o, simple[rnd(sizeof simple / sizeof *simple)]);
    else if (r < 11) {
        put(o, asserts[rnd(sizeof asserts / sizeof *asserts)]);
        return 1;
    } else {
        static const char *const open[] = {"(", "(?:", "(?i:", "(?s:", "(?m:", "(?-i:"};
        put(o, open[rnd(sizeof open / sizeof *open)]);
        gen_alt(o, depth + 1);
        put(o, ")");
    }
    return 0;
}

int main(int argc, char **argv)
{
    int npat = argc > 1 ? atoi(argv[1]) : 20000, ntext = argc > 2 ? atoi(argv[2]) : 60;
    if (argc > 3)
        rng ^= (unsigned long long)atoll(argv[3]) * 2654435761ULL;
    static char scratch[1 << 20];
    long compared = 0, matches = 0, refused = 0, patterns = 0, failures = 0;
    pcre2_compile_context *cctx = pcre2_compile_context_create(NULL);
    pcre2_set_newline(cctx, PCRE2_NEWLINE_LF);
    for (int pi = 0; pi < npat && failures < 5; pi++) {
        char pat[512], *o = pat;
        static const char *const prefix[] = {"", "", "", "(?i)", "(?s)", "(?m)"};
        put(&o, prefix[rnd(sizeof prefix / sizeof *prefix)]);
        gen_alt(&o, 0);
        *o = 0;
        Arena a;
        arena_init(&a);
        char err[300];
        IrRegex *re = ir_regex(&a, pat, 0, 0, err, sizeof err);
        int perr;
        PCRE2_SIZE eoff;
        pcre2_code *pc = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &perr, &eoff, cctx);
        if (!re) {
            if (getenv("REGEX_DIFF_VERBOSE"))
                printf("refused /%s/: %s%s\n", pat, err, pc ? "" : " (PCRE2 refuses it too)");
            refused++;
            if (pc)
                pcre2_code_free(pc);
            arena_free(&a);
            continue;
        }
        if (!pc) {
            printf("FAIL: nerva compiles /%s/, PCRE2 refuses it (error %d at %zu)\n", pat, perr, (size_t)eoff);
            failures++;
            arena_free(&a);
            continue;
        }
        patterns++;
        int *prog = malloc(sizeof *prog * 3 * (size_t)re->ninst);
        for (int i = 0; i < re->ninst; i++) {
            prog[3 * i] = opmap[re->prog[3 * i]];
            prog[3 * i + 1] = re->prog[3 * i + 1];
            prog[3 * i + 2] = re->prog[3 * i + 2];
        }
        nv_rx rx = {prog, re->cls, re->ninst, 2 * (re->ngroups + 1)};
        pcre2_match_data *md = pcre2_match_data_create_from_pattern(pc, NULL);
        for (int ti = 0; ti < ntext && failures < 5; ti++) {
            char text[256], *t = text;
            int len = (int)rnd(12);
            for (int k = 0; k < len; k++)
                put(&t, chars[rnd(NCHARS)]);
            *t = 0;
            size_t n = strlen(text), last = 0;
            long long first = -1;
            /* a Matcher.find() walk: every start offset it searches from */
            for (int step = 0; step < 40; step++) {
                size_t from = last;
                if ((long long)from == first) {
                    int l;
                    if (from >= n)
                        break;
                    nv_utf8_at((const unsigned char *)text, from, n, &l);
                    from += (size_t)l;
                }
                int cap[2 * (IR_RE_MAX_GROUPS + 1)];
                nv_scratch S = {scratch, 0, sizeof scratch, 0};
                int mine = nv_rx_search(&S, &rx, text, n, from, cap);
                int rc = pcre2_match(pc, (PCRE2_SPTR)text, n, from, 0, md, NULL);
                compared++;
                if (mine < 0) {
                    printf("FAIL: /%s/ on \"%s\": out of work space\n", pat, text);
                    failures++;
                    break;
                }
                if ((rc >= 0) != (mine > 0)) {
                    printf("FAIL: /%s/ on \"%s\" from %zu: PCRE2 %s, nerva %s\n", pat, text, from,
                           rc >= 0 ? "matches" : "does not match", mine > 0 ? "matches" : "does not");
                    failures++;
                    break;
                }
                if (rc < 0)
                    break;
                matches++;
                PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
                for (int g = 0; g <= re->ngroups; g++) {
                    long ps = g < rc ? (ov[2 * g] == PCRE2_UNSET ? -1 : (long)ov[2 * g]) : -1;
                    long pe = g < rc ? (ov[2 * g + 1] == PCRE2_UNSET ? -1 : (long)ov[2 * g + 1]) : -1;
                    if (ps != cap[2 * g] || pe != cap[2 * g + 1]) {
                        printf("FAIL: /%s/ on \"%s\" from %zu: group %d is [%ld, %ld) in PCRE2, [%d, %d) in nerva\n",
                               pat, text, from, g, ps, pe, cap[2 * g], cap[2 * g + 1]);
                        failures++;
                        break;
                    }
                }
                first = cap[0];
                last = (size_t)cap[1];
            }
        }
        pcre2_match_data_free(md);
        pcre2_code_free(pc);
        free(prog);
        arena_free(&a);
    }
    pcre2_compile_context_free(cctx);
    printf("regex_diff: %ld patterns compared with PCRE2 (%ld refused by nerva), %ld searches, %ld matches, "
           "%ld failures\n", patterns, refused, compared, matches, failures);
    return failures ? 1 : 0;
}
