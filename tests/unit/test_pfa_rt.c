/* Unit tests for the PFA run-time support (runtime/lib/pfa_rt.c, pfa_lib.c,
 * pfa_coll.c), compiled here as ordinary C.
 *
 * Why: nerva copies these functions into every engine it generates, where a
 * bug shows up only as a wrong score far from its cause.  The JSON codec is
 * the engine's whole interface, the error mechanism (longjmp to the
 * innermost handler) is how every PFA exception travels, and the integer
 * helpers carry the spec's exact overflow rules; each is pinned here. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib.c"

static nv_eng eng;
static nv_eng *E = &eng;

static void setup(void)
{
    memset(&eng, 0, sizeof eng);
    eng.cur = &eng.tmp;
}

static void teardown(void) { nv_state_free(&eng); }

static const nv_type T_INT_ = {NV_INT, NULL, NULL, NULL, NULL, NULL, 0, 0};
static const nv_type T_DBL = {NV_DOUBLE, NULL, NULL, NULL, NULL, NULL, 0, 0};
static const nv_type T_STR = {NV_STRING, NULL, NULL, NULL, NULL, NULL, 0, 0};
static const nv_type T_NUL = {NV_NULL, NULL, NULL, NULL, NULL, NULL, 0, 0};
static const nv_type T_BYT = {NV_BYTES, NULL, NULL, NULL, NULL, NULL, 0, 0};
static const nv_type T_ARR = {NV_ARRAY, NULL, &T_DBL, NULL, NULL, NULL, 0, 0};
static const nv_type T_MAP = {NV_MAP, NULL, &T_INT_, NULL, NULL, NULL, 0, 0};
static const nv_type *const U_PARTS[] = {&T_NUL, &T_DBL};
static const nv_type T_UNI = {NV_UNION, NULL, NULL, U_PARTS, NULL, NULL, 2, 0};
static const nv_type *const R_PARTS[] = {&T_STR, &T_UNI};
static const char *const R_NAMES[] = {"name", "score"};
static const char *const R_DEFAULTS[] = {NULL, "null"};
static const nv_type T_REC = {NV_RECORD, "R", NULL, R_PARTS, R_NAMES, R_DEFAULTS, 2, 0};

/* decode then encode; the text nerva writes */
static const char *round_trip(const nv_type *t, const char *in)
{
    nv_val v;
    const char *err;
    static char out[1024];
    nv_buf b = {NULL, 0, 0};
    if (!nv_decode(E, t, in, strlen(in), &v, &err))
        return NULL;
    nv_to_json(E, &b, t, v);
    snprintf(out, sizeof out, "%s", b.p ? b.p : "");
    free(b.p);
    return out;
}

START_TEST(test_json_codec)
{
    ck_assert_str_eq(round_trip(&T_DBL, "2"), "2.0");
    ck_assert_str_eq(round_trip(&T_DBL, "0.1"), "0.1");
    ck_assert_str_eq(round_trip(&T_DBL, "\"NaN\""), "\"NaN\"");
    ck_assert_str_eq(round_trip(&T_DBL, "\"-Infinity\""), "\"-Infinity\"");
    ck_assert_ptr_null(round_trip(&T_INT_, "2.5"));
    ck_assert_ptr_null(round_trip(&T_INT_, "2147483648"));
    ck_assert_str_eq(round_trip(&T_STR, "\"a\\u00e9\\ud83d\\ude00\\n\""), "\"a\xc3\xa9\xf0\x9f\x98\x80\\u000a\"");
    ck_assert_str_eq(round_trip(&T_BYT, "\"\\u0000\\u00ff\""), "\"\\u0000\\u00ff\"");
    /* maps come out sorted by key; the last of repeated keys wins */
    ck_assert_str_eq(round_trip(&T_MAP, "{\"b\": 2, \"a\": 1, \"b\": 3}"), "{\"a\": 1, \"b\": 3}");
    ck_assert_str_eq(round_trip(&T_ARR, "[1, 2.5]"), "[1.0, 2.5]");
    /* unions: tagged or not on input, tagged on output */
    ck_assert_str_eq(round_trip(&T_UNI, "{\"double\": 1}"), "{\"double\": 1.0}");
    ck_assert_str_eq(round_trip(&T_UNI, "1"), "{\"double\": 1.0}");
    ck_assert_str_eq(round_trip(&T_UNI, "null"), "null");
    /* a missing field takes its default */
    ck_assert_str_eq(round_trip(&T_REC, "{\"name\": \"x\"}"), "{\"name\": \"x\", \"score\": null}");
    ck_assert_ptr_null(round_trip(&T_REC, "{\"score\": 1}"));
    ck_assert_ptr_null(round_trip(&T_ARR, "[1, 2"));
    ck_assert_ptr_null(round_trip(&T_ARR, "[1] x"));
}
END_TEST

static void overflow_body(nv_eng *e, void *frame)
{
    *(int64_t *)frame = nv_i32(e, (int64_t)INT32_MAX + 1, 18000);
}

static void nested_body(nv_eng *e, void *frame)
{
    (void)frame;
    if (nv_try(e, overflow_body, frame))
        nv_raise(e, 7, "rethrown");
}

START_TEST(test_errors_and_try)
{
    int64_t x = 0;
    ck_assert_int_eq(nv_try(E, overflow_body, &x), 1);
    ck_assert_int_eq(E->err_code, 18000);
    ck_assert_str_eq(E->err_msg, "int overflow");
    ck_assert_int_eq(nv_try(E, nested_body, &x), 1);
    ck_assert_int_eq(E->err_code, 7);
}
END_TEST

START_TEST(test_integer_rules)
{
    ck_assert_int_eq(nv_mod64(E, -7, 3, 0), 2);        /* the sign of the divisor */
    ck_assert_int_eq(nv_rem64(E, -7, 3, 0), -1);       /* the sign of the dividend */
    ck_assert_int_eq(nv_floordiv64(E, -7, 2, 0, 0), -4);
    ck_assert_int_eq(nv_pow64(E, 2, 30, 0, 32), 1 << 30);
    ck_assert(nv_fmod_py(-7.0, 3.0) == 2.0);
    ck_assert_int_eq(nv_d2i(NAN), 0);
    ck_assert_int_eq(nv_d2i(1e300), INT32_MAX);
}
END_TEST

START_TEST(test_strings_and_bytes)
{
    nv_val a[4];
    static const nv_type *const sig[] = {&T_STR, &T_STR, &T_INT_, &T_INT_, NULL};
    a[0] = nv_vp(nv_cstr(E, "h\xc3\xa9llo"));
    a[1] = nv_vi(-4);
    a[2] = nv_vi(100);
    ck_assert_str_eq(((const nv_str *)nvf_s_substr(E, sig, a).p)->s, "\xc3\xa9llo");
    ck_assert_int_eq(nvf_s_len(E, sig, a).i, 5);
    {
        nv_str *s = nv_cstr(E, "a\xf0\x9f\x98\x80");
        nv_str *u16 = nv_to_utf16(E, s, 0, 0);
        ck_assert_int_eq((int)u16->n, 6);
        ck_assert(nv_str_eq(nv_from_utf16(E, u16, 0), s));
        ck_assert(nv_utf8_valid(s->s, s->n));
        ck_assert(!nv_utf8_valid("\xc0\x80", 2)); /* an overlong NUL */
    }
    ck_assert_str_eq(nv_base64(E, "any carnal pleas", 16)->s, "YW55IGNhcm5hbCBwbGVhcw==");
}
END_TEST

START_TEST(test_maps_and_sorting)
{
    nv_ment e[3];
    nv_map *m;
    e[0].k = nv_cstr(E, "b");
    e[0].v = nv_vi(2);
    e[1].k = nv_cstr(E, "a");
    e[1].v = nv_vi(1);
    e[2].k = nv_cstr(E, "c");
    e[2].v = nv_vi(3);
    m = nv_map_sorted(E, e, 3);
    ck_assert_str_eq(m->e[0].k->s, "a");
    ck_assert_int_eq(nv_map_find(m, e[2].k), 2);
    m = nv_map_without(E, m, e[1].k);
    ck_assert_int_eq((int)m->n, 2);
    {
        nv_arr *x = nv_arr_new(E, 4);
        nv_order o = nv_order_of(E, &T_DBL, NULL, 0);
        x->v[0] = nv_vd(3);
        x->v[1] = nv_vd(-1);
        x->v[2] = nv_vd(2);
        x->v[3] = nv_vd(-1);
        nv_sort_vals(E, x->v, x->n, &o);
        ck_assert(x->v[0].d == -1 && x->v[3].d == 3);
        ck_assert(nv_ntile(E, &T_DBL, x, 0.5, 0).d == 0.5);
    }
}
END_TEST

START_TEST(test_calendar)
{
    int64_t y, m, d;
    nv_civil_from_days(nv_days_from_civil(2015, 3, 4), &y, &m, &d);
    ck_assert(y == 2015 && m == 3 && d == 4);
    ck_assert_int_eq(nv_days_from_civil(1970, 1, 1), 0);
    ck_assert_int_eq(nv_days_from_civil(1, 1, 1) * 86400, (int64_t)-62135596800LL);
    {
        nv_str utc = nv_cview("");
        nv_tm t = nv_localtime(E, 1425508527.0, &utc, 40000);
        ck_assert(t.year == 2015 && t.month == 3 && t.day == 4 && t.hour == 22 && t.wday == 2);
    }
}
END_TEST

static Suite *rt_suite(void)
{
    Suite *s = suite_create("pfa_rt");
    TCase *t = tcase_create("runtime");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_json_codec);
    tcase_add_test(t, test_errors_and_try);
    tcase_add_test(t, test_integer_rules);
    tcase_add_test(t, test_strings_and_bytes);
    tcase_add_test(t, test_maps_and_sorting);
    tcase_add_test(t, test_calendar);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(rt_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
