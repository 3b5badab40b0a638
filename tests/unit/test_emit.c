/* Unit tests for the C backend (compiler/c/emit.c and the emitters it dispatches to) on a tiny hand-built IR.
 *
 * Why: model files are untrusted, and every name and string in them ends up
 * in generated C.  The backend promises that model text only ever appears
 * escaped inside string literals or sanitised inside comments, so no model
 * can inject code, end a comment early, or smuggle a trigraph.  These tests
 * lex the generated unit the way a C compiler would and check exactly that,
 * decode every string literal back to bytes to prove the escaping is exact,
 * and pin down that the symbol prefix and header name are validated. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "c_text.h"

static Arena arena;
static Diags diags;
static IrBuilder b;

/* every character C treats specially, in one string */
static const char *nasty = "q\"b\\ \nnl */ /* ?\?= ?\?/ %s%n \t\x01\x7f \xc3\xa9 end?";
/* a name that would inject code if it ended a comment */
static const char *evil_name = "a */ int evil_code; /* b\n#define X ?\?=";

static void setup(void)
{
    arena_init(&arena);
    diags_init(&diags);
    diags.quiet = 1;
    b.a = &arena;
    b.d = &diags;
    b.p = ir_program_new(&arena);
    b.p->name = evil_name;
    b.p->source = "tiny */ x.pmml";

    int x = ir_add_input(&b, evil_name, ir_type(T_DOUBLE), (Loc){.file = "tiny.pmml", .line = 2});
    int s = ir_add_input(&b, nasty, ir_type(T_STRING), (Loc){.file = "tiny.pmml", .line = 3});
    int lab = ir_add_var(&b, nasty, ir_type(T_STRING));
    int y = ir_add_var(&b, evil_name, ir_type(T_DOUBLE));
    int in = ir_add_var(&b, "in set", ir_type(T_BOOL));
    IrStmt *st = ir_set(&b, &b.p->body, lab, ir_lit_str(&b, nasty));
    st->comment = evil_name;
    st->loc.line = 7;
    ir_set(&b, &b.p->body, y,
           ir_call2(&b, FN_ADD, ir_type(T_DOUBLE), ir_var(&b, x), ir_lit_double(&b, -0.1)));
    const char **strs = ARENA_ARRAY(&arena, const char *, 2);
    strs[0] = nasty;
    strs[1] = "*/";
    ir_set(&b, &b.p->body, in, ir_coalesce(&b, ir_str_in(&b, ir_var(&b, s), strs, 2),
                                            ir_lit_bool(&b, 0)));
    ir_add_output(&b, nasty, ir_type(T_STRING), lab, (Loc){0});
    ir_add_output(&b, evil_name, ir_type(T_DOUBLE), y, (Loc){0});
    ir_add_output(&b, "in", ir_type(T_BOOL), in, (Loc){0});
}

static void teardown(void) { arena_free(&arena); }

typedef struct Out {
    StrBuf c, h;
    int rc;
} Out;

static Out emit(const char *prefix, const char *header)
{
    Out o;
    sb_init(&o.c);
    sb_init(&o.h);
    EmitOptions eo = {.prefix = prefix, .header_name = header, .tree_table_threshold = 4000,
                      .version = "test"};
    o.rc = emit_c(b.p, &eo, &diags, &o.c, &o.h);
    return o;
}

static void out_free(Out *o)
{
    sb_free(&o->c);
    sb_free(&o->h);
}

/* ---- a small C lexer: comments, string/char literals, the rest ---- */

typedef struct Lexed {
    StrBuf code;       /* everything outside comments and literals */
    char **strings;    /* decoded string literals */
    size_t *lens;
    int nstrings, cap;
    char *problem;     /* first violation found, or NULL */
} Lexed;

static int odigit(int c) { return c >= '0' && c <= '7'; }

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static void lex(const char *t, Lexed *L)
{
    memset(L, 0, sizeof *L);
    sb_init(&L->code);
    sb_puts(&L->code, "");
    const char *p = t;
    while (*p) {
        if (p[0] == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");
            if (!end) {
                L->problem = arena_printf(&arena, "unterminated comment at offset %ld", (long)(p - t));
                return;
            }
            for (const char *q = p + 2; q + 1 < end + 1; q++)
                if (q[0] == '/' && q[1] == '*' && !L->problem)
                    L->problem = arena_printf(&arena, "'/*' inside a comment at offset %ld",
                                              (long)(q - t));
            for (const char *q = p; q < end; q++)
                if (q[0] == '?' && q[1] == '?' && q[2] == '/' && q[3] == '\n' && !L->problem)
                    L->problem = arena_printf(&arena, "'?\?/' line splice in a comment");
            sb_putc(&L->code, ' ');
            p = end + 2;
        } else if (p[0] == '/' && p[1] == '/') {
            L->problem = arena_printf(&arena, "C++ comment at offset %ld (not C89-safe)", (long)(p - t));
            return;
        } else if (*p == '"' || *p == '\'') {
            char q = *p++;
            StrBuf s;
            sb_init(&s);
            sb_puts(&s, "");
            while (*p != q) {
                if (*p == 0 || *p == '\n') {
                    L->problem = arena_printf(&arena, "raw newline or end inside a literal at offset %ld",
                                              (long)(p - t));
                    sb_free(&s);
                    return;
                }
                if ((unsigned char)*p >= 0x7f || (unsigned char)*p < 0x20) {
                    L->problem = arena_printf(&arena, "raw byte 0x%02x inside a literal at offset %ld",
                                              (unsigned char)*p, (long)(p - t));
                    sb_free(&s);
                    return;
                }
                if (p[0] == '?' && p[1] == '?' && !L->problem)
                    L->problem = arena_printf(&arena, "'?\?' (a trigraph start) in a literal at offset %ld",
                                              (long)(p - t));
                if (*p != '\\') {
                    sb_putc(&s, *p++);
                    continue;
                }
                p++;
                int c = *p++;
                switch (c) {
                case 'n': sb_putc(&s, '\n'); break;
                case 't': sb_putc(&s, '\t'); break;
                case 'r': sb_putc(&s, '\r'); break;
                case '\\': case '"': case '\'': case '?': sb_putc(&s, (char)c); break;
                case 'x': {
                    int v = 0, k = 0;
                    while (hexval(*p) >= 0) { v = v * 16 + hexval(*p++); k++; }
                    if (!k || v > 255) L->problem = "bad \\x escape";
                    sb_putc(&s, (char)v);
                    break;
                }
                default:
                    if (odigit(c)) {
                        int v = c - '0', k = 1;
                        while (k < 3 && odigit(*p)) { v = v * 8 + (*p++ - '0'); k++; }
                        sb_putn(&s, (const char *)&(char){(char)v}, 1);
                    } else
                        L->problem = arena_printf(&arena, "unknown escape \\%c", c);
                }
            }
            p++;
            if (q == '"') {
                if (L->nstrings >= L->cap) {
                    L->cap = L->cap ? L->cap * 2 : 64;
                    L->strings = realloc(L->strings, sizeof(char *) * (size_t)L->cap);
                    L->lens = realloc(L->lens, sizeof(size_t) * (size_t)L->cap);
                }
                L->strings[L->nstrings] = s.data;
                L->lens[L->nstrings++] = s.len;
            } else
                sb_free(&s);
            sb_puts(&L->code, "\"\"");
        } else
            sb_putc(&L->code, *p++);
    }
}

static void lexed_free(Lexed *L)
{
    for (int i = 0; i < L->nstrings; i++)
        free(L->strings[i]);
    free(L->strings);
    free(L->lens);
    sb_free(&L->code);
}

static int has_string(const Lexed *L, const char *want)
{
    for (int i = 0; i < L->nstrings; i++)
        if (L->lens[i] == strlen(want) && memcmp(L->strings[i], want, L->lens[i]) == 0)
            return 1;
    return 0;
}

static void check_unit(const char *what, const char *text)
{
    Lexed L;
    lex(text, &L);
    ck_assert_msg(L.problem == NULL, "%s: %s", what, L.problem ? L.problem : "");
    /* model text never reaches the code outside comments and literals, but
       as part of an identifier (a struct member named after a field: every
       character that is not a letter, digit or '_' made '_') */
    ck_assert_msg(strstr(L.code.data, "int evil_code") == NULL && strstr(L.code.data, " evil_code;") == NULL,
                  "%s: injected code", what);
    ck_assert_msg(strstr(L.code.data, "*/") == NULL, "%s: a comment end in code", what);
    ck_assert_msg(strstr(L.code.data, "#define X") == NULL, "%s: injected directive", what);
    ck_assert_msg(strstr(L.code.data, "?\?") == NULL, "%s: trigraph in code", what);
    ck_assert_msg(strstr(L.code.data, "%n") == NULL, "%s: format text in code", what);
    lexed_free(&L);
}

/* ---- tests ---- */

START_TEST(test_emits_safe_unit)
{
    Out o = emit("tiny", "tiny.h");
    ck_assert_int_eq(o.rc, 0);
    ck_assert_int_eq(diags.errors, 0);
    ck_assert_ptr_nonnull(o.c.data);
    ck_assert_ptr_nonnull(o.h.data);
    check_unit("tiny.c", o.c.data);
    check_unit("tiny.h", o.h.data);
    ck_assert_ptr_nonnull(strstr(o.c.data, "#include \"tiny.h\""));
    ck_assert_ptr_nonnull(strstr(o.c.data, "int tiny_score(const tiny_input *in, tiny_output *out)"));
    ck_assert_ptr_nonnull(strstr(o.h.data, "extern const nerva_model tiny_model;"));
    out_free(&o);
}
END_TEST

START_TEST(test_strings_escaped_exactly)
{
    Out o = emit("tiny", "tiny.h");
    ck_assert_int_eq(o.rc, 0);
    Lexed L;
    lex(o.c.data, &L);
    ck_assert_msg(L.problem == NULL, "%s", L.problem ? L.problem : "");
    /* the literal, the set member and the field names decode to the bytes */
    ck_assert_msg(has_string(&L, nasty), "the nasty string does not decode back exactly");
    ck_assert(has_string(&L, "*/"));
    ck_assert(has_string(&L, evil_name));          /* output descriptor name */
    ck_assert(has_string(&L, "in"));
    lexed_free(&L);
    /* the spelling: quote, backslash, newline (octal), no raw trigraph */
    ck_assert_ptr_nonnull(strstr(o.c.data, "\"q\\\"b\\\\ \\012nl */ /* \\?\\?= \\?\\?/ %s%n \\011\\001\\177 \\303\\251 end\\?\""));
    /* (a trigraph may stand in a comment, where only '?\?/' + newline would
       matter, and comments never receive a newline: see check_unit) */
    out_free(&o);
}
END_TEST

/* c_string_put writes the fewest octal digits unless an octal digit
   follows: random bytes, heavy in small values and digits, decode back
   exactly (one line of at most 64 bytes: one literal) */
START_TEST(test_short_escapes_decode)
{
    static const unsigned char pick[] = {0, 1, 7, 8, 9, 63, 64, 200, 255, '0', '3', '7', '8', '9', 'a', '?', '"', '\\'};
    unsigned long long r = 88172645463325252ULL;
    for (int k = 0; k < 3000; k++) {
        char s[64];
        size_t n = 1 + k % 64;
        for (size_t i = 0; i < n; i++) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            s[i] = (char)pick[r % sizeof pick];
        }
        StrBuf b;
        sb_init(&b);
        c_string_put(&b, s, n);
        Lexed L;
        lex(b.data, &L);
        ck_assert_msg(L.problem == NULL, "%s", L.problem ? L.problem : "");
        ck_assert_int_eq(L.nstrings, 1);
        ck_assert_uint_eq(L.lens[0], n);
        ck_assert(memcmp(L.strings[0], s, n) == 0);
        lexed_free(&L);
        sb_free(&b);
    }
}
END_TEST

START_TEST(test_comments_sanitised)
{
    Out o = emit("tiny", "tiny.h");
    ck_assert_int_eq(o.rc, 0);
    /* the statement comment names the evil text, defused */
    const char *c = strstr(o.c.data, "/* a * / int evil_code; / * b?#define X ?\?= (line 7) */");
    ck_assert_msg(c != NULL, "statement comment not found or not sanitised:\n%s", o.c.data);
    /* the banner names the file, defused too */
    ck_assert_ptr_nonnull(strstr(o.c.data, "from tiny * / x.pmml. Do not edit."));
    ck_assert_ptr_nonnull(strstr(o.h.data, "from tiny * / x.pmml. Do not edit."));
    out_free(&o);
}
END_TEST

START_TEST(test_prefix_validation)
{
    const char *bad[] = {"", "1abc", "a-b", "a b", "x;y", "a\"b", "\xc3\xa9t\xc3\xa9", "a/*", "a\n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        diags_init(&diags);
        diags.quiet = 1;
        Out o = emit(bad[i], "tiny.h");
        ck_assert_msg(o.rc != 0, "prefix '%s' accepted", bad[i]);
        ck_assert_int_ge(diags.errors, 1);
        ck_assert_ptr_nonnull(strstr(diags.last, "is not a C identifier"));
        out_free(&o);
    }
    diags_init(&diags);
    diags.quiet = 1;
    Out o = emit(NULL, "tiny.h");
    ck_assert_int_ne(o.rc, 0);
    out_free(&o);
    const char *good[] = {"m", "_x1", "Model_2", "a1b2c3"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        diags_init(&diags);
        diags.quiet = 1;
        Out g = emit(good[i], "tiny.h");
        ck_assert_msg(g.rc == 0, "prefix '%s' rejected: %s", good[i], diags.last);
        out_free(&g);
    }
}
END_TEST

START_TEST(test_header_name_validation)
{
    const char *bad[] = {"", "a\".h", "a b.h", "x\n.h", "a>.h", "a\\b.h"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        diags_init(&diags);
        diags.quiet = 1;
        Out o = emit("tiny", bad[i]);
        ck_assert_msg(o.rc != 0, "header name '%s' accepted", bad[i]);
        out_free(&o);
    }
    diags_init(&diags);
    diags.quiet = 1;
    Out o = emit("tiny", "sub/dir/x-1.h");
    ck_assert_int_eq(o.rc, 0);
    ck_assert_ptr_nonnull(strstr(o.c.data, "#include \"sub/dir/x-1.h\""));
    out_free(&o);
}
END_TEST

START_TEST(test_prefix_from_path)
{
    ck_assert_str_eq(c_prefix_from_path(&arena, "dir/My-Model.v2.pmml"), "my_model_v2");
    ck_assert_str_eq(c_prefix_from_path(&arena, "2fast.pmml"), "m_2fast");
    ck_assert_str_eq(c_prefix_from_path(&arena, "a.b"), "a");
    ck_assert_str_eq(c_prefix_from_path(&arena, "x\"*.pmml"), "x__");
}
END_TEST

START_TEST(test_numbers_and_determinism)
{
    Out a = emit("tiny", "tiny.h");
    Out b2 = emit("tiny", "tiny.h");
    ck_assert_int_eq(a.rc, 0);
    ck_assert_uint_eq(a.c.len, b2.c.len);
    ck_assert(memcmp(a.c.data, b2.c.data, a.c.len) == 0);
    ck_assert(memcmp(a.h.data, b2.h.data, a.h.len) == 0);
    /* negative constants are parenthesised floating constants */
    ck_assert_ptr_nonnull(strstr(a.c.data, "(-0.1)"));
    out_free(&a);
    out_free(&b2);
}
END_TEST

static Suite *emit_suite(void)
{
    Suite *s = suite_create("emit_c");
    TCase *t = tcase_create("safety");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_emits_safe_unit);
    tcase_add_test(t, test_strings_escaped_exactly);
    tcase_add_test(t, test_short_escapes_decode);
    tcase_add_test(t, test_comments_sanitised);
    tcase_add_test(t, test_prefix_validation);
    tcase_add_test(t, test_header_name_validation);
    tcase_add_test(t, test_prefix_from_path);
    tcase_add_test(t, test_numbers_and_determinism);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(emit_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
