/* Unit tests for compiler/util.c, the plumbing every phase trusts.
 *
 * Why these matter: generated code is only as exact as fmt_double/fmt_float
 * (every constant nerva prints must read back to the same bits, including
 * subnormals, -0 and the extremes); parse_double decides what the compiler
 * accepts as a number in a model, so it must be strict; and the arena and
 * StrBuf hold everything a compilation makes, so their growth paths (big
 * allocations, buffers past the first block) must keep data intact. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* ---- arena ---- */

START_TEST(test_arena_zeroed_aligned)
{
    Arena a;
    arena_init(&a);
    ck_assert_ptr_null(a.head);
    for (size_t n = 0; n < 300; n += 7) {
        unsigned char *p = arena_alloc(&a, n);
        ck_assert_ptr_nonnull(p);
        ck_assert_uint_eq((uintptr_t)p % 16, 0);
        for (size_t i = 0; i < n; i++)
            ck_assert_uint_eq(p[i], 0);
        memset(p, 0xAB, n);   /* the next allocation must not overlap */
    }
    ck_assert_uint_gt(a.used_total, 0);
    arena_free(&a);
    ck_assert_ptr_null(a.head);
}
END_TEST

START_TEST(test_arena_big_and_many)
{
    Arena a;
    arena_init(&a);
    /* bigger than a block: gets a block of its own */
    size_t big = (size_t)1 << 20;
    unsigned char *p = arena_alloc(&a, big);
    ck_assert_uint_eq(p[0], 0);
    ck_assert_uint_eq(p[big - 1], 0);
    memset(p, 7, big);
    /* many small ones across several blocks keep their contents */
    char *strs[5000];
    for (int i = 0; i < 5000; i++)
        strs[i] = arena_printf(&a, "s%d", i);
    for (int i = 0; i < 5000; i++) {
        char want[16];
        snprintf(want, sizeof want, "s%d", i);
        ck_assert_str_eq(strs[i], want);
    }
    ck_assert_uint_eq(p[big / 2], 7);
    ck_assert_uint_ge(a.used_total, big);
    arena_free(&a);
}
END_TEST

START_TEST(test_arena_strings)
{
    Arena a;
    arena_init(&a);
    ck_assert_ptr_null(arena_strdup(&a, NULL));
    const char *src = "hello";
    char *d = arena_strdup(&a, src);
    ck_assert_str_eq(d, "hello");
    ck_assert_ptr_ne(d, src);
    ck_assert_str_eq(arena_strndup(&a, "abcdef", 3), "abc");
    ck_assert_str_eq(arena_strndup(&a, "", 0), "");
    ck_assert_str_eq(arena_printf(&a, "%s-%d-%.1f", "x", 42, 1.5), "x-42-1.5");
    /* longer than any fixed buffer a careless printf would use */
    char *long_s = arena_printf(&a, "%05000d", 1);
    ck_assert_uint_eq(strlen(long_s), 5000);
    ck_assert_int_eq(long_s[4999], '1');
    arena_free(&a);
}
END_TEST

START_TEST(test_arena_grow_and_vec_push)
{
    Arena a;
    arena_init(&a);
    int *v = NULL, n = 0, cap = 0;
    for (int i = 0; i < 1000; i++)
        VEC_PUSH(&a, v, n, cap, i * 3);
    ck_assert_int_eq(n, 1000);
    ck_assert_int_ge(cap, 1000);
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(v[i], i * 3);
    arena_free(&a);
}
END_TEST

/* ---- number text ---- */

/* the text must read back to exactly the same bits (so -0 stays -0) */
static void check_double(double v)
{
    char buf[64];
    fmt_double(buf, sizeof buf, v);
    double back = strtod(buf, NULL);
    ck_assert_msg(memcmp(&back, &v, sizeof v) == 0, "%.17g printed as '%s' reads back as %.17g",
                  v, buf, back);
    ck_assert_msg(strchr(buf, ',') == NULL, "locale comma in '%s'", buf);
}

static void check_float(float v)
{
    char buf[64];
    fmt_float(buf, sizeof buf, v);
    float back = strtof(buf, NULL);
    ck_assert_msg(memcmp(&back, &v, sizeof v) == 0, "%.9g printed as '%s' reads back as %.9g",
                  (double)v, buf, (double)back);
}

static const char *fd(double v)
{
    static char buf[64];
    fmt_double(buf, sizeof buf, v);
    return buf;
}

static const char *ff(float v)
{
    static char buf[64];
    fmt_float(buf, sizeof buf, v);
    return buf;
}

START_TEST(test_fmt_double_specials)
{
    double specials[] = {0.0, -0.0, 1.0, -1.0, 0.1, 1.0 / 3.0, 2.0 / 3.0, 1e21, 1e22, 1e23,
                         123456789012345678.0, DBL_MAX, -DBL_MAX, DBL_MIN, -DBL_MIN,
                         DBL_MIN / 2, 4.9406564584124654e-324, -4.9406564584124654e-324,
                         2.2250738585072009e-308 /* largest subnormal */, DBL_EPSILON,
                         1 + DBL_EPSILON, 9007199254740993.0, 0.30000000000000004,
                         5e-324 * 3, 1.7976931348623157e308, 1e-310};
    for (size_t i = 0; i < sizeof specials / sizeof *specials; i++)
        check_double(specials[i]);
    /* the shortest text, not 17 digits */
    ck_assert_str_eq(fd(0.1), "0.1");
    ck_assert_str_eq(fd(1.0), "1");
    ck_assert_str_eq(fd(-2.5), "-2.5");
    ck_assert_str_eq(fd(0.0), "0");
    ck_assert_str_eq(fd(-0.0), "-0");
    ck_assert_str_eq(fd(1e21), "1e+21");
    ck_assert_str_eq(fd(4.9406564584124654e-324), "5e-324");   /* reads back exactly */
    ck_assert_str_eq(fd(DBL_MAX), "1.7976931348623157e+308");
    ck_assert_str_eq(fd(0.30000000000000004), "0.30000000000000004");
    ck_assert_str_eq(fd(NAN), "NAN");
    ck_assert_str_eq(fd(HUGE_VAL), "INFINITY");
    ck_assert_str_eq(fd(-HUGE_VAL), "-INFINITY");
}
END_TEST

/* xorshift64*: deterministic bit patterns over the whole double range */
static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

START_TEST(test_fmt_double_random_bits)
{
    for (int i = 0; i < 20000; i++) {
        uint64_t bits = rng();
        double v;
        memcpy(&v, &bits, sizeof v);
        if (isnan(v) || isinf(v))
            continue;
        check_double(v);
    }
    /* every subnormal exponent range: small mantissas */
    for (uint64_t m = 1; m < ((uint64_t)1 << 52); m = m * 3 + 1) {
        double v;
        memcpy(&v, &m, sizeof v);
        check_double(v);
        check_double(-v);
    }
}
END_TEST

/* fmt_double and fmt_float search the number of digits by halving; the text
   must be the shortest, as trying 1, 2, 3... digits in turn finds it: random
   bits, and numbers of few decimal digits as models write them */
static int shortest_double(double v)
{
    char b[64];
    for (int p = 1; p <= 17; p++) {
        snprintf(b, sizeof b, "%.*g", p, v);
        if (strtod(b, NULL) == v)
            return p;
    }
    return 17;
}

static int shortest_float(float v)
{
    char b[64];
    for (int p = 1; p <= 9; p++) {
        snprintf(b, sizeof b, "%.*g", p, (double)v);
        if (strtof(b, NULL) == v)
            return p;
    }
    return 9;
}

START_TEST(test_fmt_shortest)
{
    char b[64];
    for (int i = 0; i < 40000; i++) {
        uint64_t bits = rng();
        double v;
        float f;
        uint32_t fb = (uint32_t)(bits >> 32);
        memcpy(&v, &bits, sizeof v);
        memcpy(&f, &fb, sizeof f);
        if (i % 2) { /* a number of 1 to 8 digits, as models write them */
            snprintf(b, sizeof b, "%.*g", 1 + (int)(bits % 8), (double)(int64_t)(bits >> 20) * 1e-9);
            v = strtod(b, NULL);
            f = strtof(b, NULL);
        }
        if (!isnan(v) && !isinf(v)) {
            snprintf(b, sizeof b, "%.*g", shortest_double(v), v);
            ck_assert_str_eq(fd(v), b);
        }
        if (!isnan(f) && !isinf(f)) {
            snprintf(b, sizeof b, "%.*g", shortest_float(f), (double)f);
            ck_assert_str_eq(ff(f), b);
        }
    }
}
END_TEST

START_TEST(test_fmt_float)
{
    float specials[] = {0.0f, -0.0f, 1.0f, 0.1f, 1.0f / 3.0f, FLT_MAX, -FLT_MAX, FLT_MIN,
                        FLT_MIN / 2, 1.40129846e-45f /* smallest subnormal */, 16777217.0f,
                        3.4028235e38f, 1e-40f, 0.18005611f};
    for (size_t i = 0; i < sizeof specials / sizeof *specials; i++)
        check_float(specials[i]);
    for (int i = 0; i < 20000; i++) {
        uint32_t bits = (uint32_t)(rng() >> 32);
        float v;
        memcpy(&v, &bits, sizeof v);
        if (isnan(v) || isinf(v))
            continue;
        check_float(v);
    }
    ck_assert_str_eq(ff(0.1f), "0.1");
    ck_assert_str_eq(ff(-0.0f), "-0");
    ck_assert_str_eq(ff(1.40129846e-45f), "1e-45");
    ck_assert_str_eq(ff(FLT_MAX), "3.4028235e+38");
    ck_assert_str_eq(ff(NAN), "NAN");
    ck_assert_str_eq(ff(-HUGE_VALF), "-INFINITY");
}
END_TEST

START_TEST(test_parse_double_accepts)
{
    struct { const char *s; double v; } ok[] = {
        {"1", 1}, {"-2.5", -2.5}, {"+3", 3}, {".5", 0.5}, {"5.", 5}, {"1e3", 1000},
        {"1E-3", 0.001}, {"  7  ", 7}, {"\t8\n", 8}, {"\r\n9\r\n", 9}, {"-0", -0.0},
        {"4.9406564584124654e-324", 4.9406564584124654e-324},
        {"1.7976931348623157e308", DBL_MAX}, {"0.1", 0.1},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        double v = 12345;
        ck_assert_msg(parse_double(ok[i].s, &v), "'%s' rejected", ok[i].s);
        ck_assert_msg(memcmp(&v, &ok[i].v, sizeof v) == 0, "'%s' read as %.17g", ok[i].s, v);
    }
}
END_TEST

START_TEST(test_parse_double_rejects)
{
    const char *bad[] = {"", " ", "\t\n", "abc", "1x", "1,5", "1 2", "0x10", "0X1p3", "nan(1)",
                         "1e", "--1", "+-1", "1..2", "e5", ".", "-", "1e+", "\xc2\xbd", "1 e3"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        double v = 12345;
        ck_assert_msg(!parse_double(bad[i], &v), "'%s' accepted", bad[i]);
        ck_assert_msg(v == 12345, "'%s' rejected but wrote %g", bad[i], v);
    }
    double v = 1;
    ck_assert(!parse_double(NULL, &v));
}
END_TEST

START_TEST(test_parse_long)
{
    long long v = 0;
    ck_assert(parse_long("42", &v));
    ck_assert_int_eq(v, 42);
    ck_assert(parse_long(" -7 ", &v));
    ck_assert_int_eq(v, -7);
    ck_assert(parse_long("9223372036854775807", &v));
    ck_assert(v == 9223372036854775807LL);
    const char *bad[] = {"", "1.5", "1e3", "x", "9223372036854775808", "-9223372036854775809",
                         "1 2", "0x1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(!parse_long(bad[i], &v), "'%s' accepted", bad[i]);
    ck_assert(!parse_long(NULL, &v));
}
END_TEST

/* ---- StrBuf ---- */

START_TEST(test_strbuf)
{
    StrBuf b;
    sb_init(&b);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    sb_puts(&b, "ab");
    sb_putc(&b, 'c');
    sb_putn(&b, "defgh", 2);
    ck_assert_str_eq(b.data, "abcde");
    ck_assert_uint_eq(b.len, 5);
    sb_printf(&b, "[%d|%s|%%]", -12, "x");
    ck_assert_str_eq(b.data, "abcde[-12|x|%]");
    /* grow well past the first allocation, keeping NUL termination */
    for (int i = 0; i < 3000; i++)
        sb_printf(&b, "%04d", i);
    ck_assert_uint_eq(b.len, 14 + 3000 * 4);
    ck_assert_uint_eq(strlen(b.data), b.len);
    ck_assert_uint_gt(b.cap, b.len);
    ck_assert(memcmp(b.data + 14, "00000001", 8) == 0);
    ck_assert(memcmp(b.data + b.len - 4, "2999", 4) == 0);
    /* one printf larger than the current capacity */
    size_t before = b.len;
    sb_printf(&b, "%*s", 100000, "!");
    ck_assert_uint_eq(b.len, before + 100000);
    ck_assert_int_eq(b.data[b.len - 1], '!');
    ck_assert_int_eq(b.data[b.len], 0);
    /* embedded NUL through sb_putn: length counts it */
    sb_putn(&b, "x\0y", 3);
    ck_assert_uint_eq(b.len, before + 100003);
    sb_free(&b);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_uint_eq(b.cap, 0);
    /* reusable after free */
    sb_puts(&b, "again");
    ck_assert_str_eq(b.data, "again");
    sb_free(&b);
}
END_TEST

/* ---- diagnostics, hashing, files ---- */

START_TEST(test_diags_format)
{
    Diags d;
    diags_init(&d);
    d.quiet = 1;
    ck_assert_int_eq(d.max_errors, 50);
    diag_error(&d, (Loc){.file = "m.pmml", .line = 12}, "unknown field '%s'", "x");
    ck_assert_str_eq(d.last, "m.pmml:12: error: unknown field 'x'");
    diag_error(&d, (Loc){.file = "m.pmml", .line = 3, .col = 7}, "bad");
    ck_assert_str_eq(d.last, "m.pmml:3:7: error: bad");
    diag_warning(&d, (Loc){.file = "m.pmml"}, "w %d", 1);
    ck_assert_str_eq(d.last, "m.pmml: warning: w 1");
    diag_error(&d, (Loc){0}, "%s", "100%");
    ck_assert_str_eq(d.last, "<input>: error: 100%");
    ck_assert_int_eq(d.errors, 3);
    ck_assert_int_eq(d.warnings, 1);
}
END_TEST

/* FNV-1a as specified: per byte, xor then multiply by the 64-bit FNV prime */
static uint64_t fnv1a_ref(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

START_TEST(test_hash_fnv1a)
{
    const char *inputs[] = {"", "a", "foobar", "<PMML/>\n", "\xff\x00\x80"};
    size_t lens[] = {0, 1, 6, 8, 3};
    for (size_t i = 0; i < 5; i++)
        ck_assert(hash_bytes(HASH_SEED, inputs[i], lens[i]) == fnv1a_ref(HASH_SEED, inputs[i], lens[i]));
    ck_assert(hash_bytes(HASH_SEED, "", 0) == HASH_SEED);
    /* chaining equals hashing the concatenation (the build cache relies on it) */
    ck_assert(hash_bytes(hash_bytes(HASH_SEED, "foo", 3), "bar", 3) ==
              hash_bytes(HASH_SEED, "foobar", 6));
    /* one changed or moved byte changes the key */
    ck_assert(hash_bytes(HASH_SEED, "ab", 2) != hash_bytes(HASH_SEED, "ba", 2));
    ck_assert(hash_bytes(HASH_SEED, "a\0", 2) != hash_bytes(HASH_SEED, "a", 1));
    /* Note: HASH_SEED (1469598103934665603) is not the published FNV-1a
     * offset basis 14695981039346656037 (a digit is missing), so nerva's keys
     * differ from standard FNV-1a; harmless for a cache, pinned here only via
     * HASH_SEED itself. */
}
END_TEST

START_TEST(test_read_file)
{
    char path[] = "/tmp/nerva-test-util-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    const char text[] = "<PMML>\0tail";
    ck_assert_int_eq(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    char *data = NULL;
    size_t len = 0;
    ck_assert_int_eq(read_file(path, &data, &len, 1000), 0);
    ck_assert_uint_eq(len, sizeof text - 1);
    ck_assert(memcmp(data, text, len) == 0);
    ck_assert_int_eq(data[len], 0);
    free(data);
    ck_assert_int_eq(read_file(path, &data, &len, 4), -2);   /* over the limit */
    unlink(path);
    ck_assert_int_eq(read_file(path, &data, &len, 1000), -1); /* gone */
}
END_TEST

static Suite *util_suite(void)
{
    Suite *s = suite_create("util");
    TCase *t = tcase_create("arena");
    tcase_add_test(t, test_arena_zeroed_aligned);
    tcase_add_test(t, test_arena_big_and_many);
    tcase_add_test(t, test_arena_strings);
    tcase_add_test(t, test_arena_grow_and_vec_push);
    suite_add_tcase(s, t);
    t = tcase_create("numbers");
    tcase_add_test(t, test_fmt_double_specials);
    tcase_add_test(t, test_fmt_double_random_bits);
    tcase_add_test(t, test_fmt_float);
    tcase_add_test(t, test_fmt_shortest);
    tcase_add_test(t, test_parse_double_accepts);
    tcase_add_test(t, test_parse_double_rejects);
    tcase_add_test(t, test_parse_long);
    suite_add_tcase(s, t);
    t = tcase_create("misc");
    tcase_add_test(t, test_strbuf);
    tcase_add_test(t, test_diags_format);
    tcase_add_test(t, test_hash_fnv1a);
    tcase_add_test(t, test_read_file);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(util_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
