/* Unit tests for the run-time library's shared parts (runtime/lib/
 * kernels.c, text.c, trees.c), compiled here as ordinary C through lib.c.
 *
 * Why: these functions are copied into every unit that uses them, PMML and
 * PFA alike; a wrong digit here is a wrong score everywhere, far from its
 * cause.  The numeric kernels are held to the accuracy their comments
 * state, against reference values computed with mpmath
 * (tools/gen_lib_vectors.py -> lib_vectors.h); the walkers of the tree
 * layouts against small trees worked out by hand. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib.c"
#include "lib_vectors.h"

/* |got - want| in units of the last place of want */
static double ulps(double got, double want)
{
    if (got == want)
        return 0;
    double w = fabs(want);
    double u = nextafter(w, INFINITY) - w;
    return fabs(got - want) / u;
}

typedef double (*kernel)(double);
/* the bound a kernel's comment states, in ulps, at x (negative: where the
   comment bounds the absolute error instead) */
typedef double (*bound)(double x);

static void check_vectors(const char *name, kernel f, const double (*v)[2], size_t n, bound ulp_bound,
                          double abs_bound)
{
    for (size_t i = 0; i < n; i++) {
        double x = v[i][0], want = v[i][1], got = f(x);
        double b = ulp_bound(x);
        if (b >= 0)
            ck_assert_msg(ulps(got, want) <= b, "%s(%a) = %a, want %a: %.3g ulps, bound %.3g", name, x, got, want,
                          ulps(got, want), b);
        else
            ck_assert_msg(fabs(got - want) <= abs_bound, "%s(%a) = %a, want %a: absolute error %.3g > %.3g",
                          name, x, got, want, fabs(got - want), abs_bound);
    }
}

#define VECTORS(name, f, b, abs) check_vectors(#name, f, vec_##name, sizeof vec_##name / sizeof vec_##name[0], b, abs)

static double b_logistic(double x) { return x >= -708 ? 1 : -1; }
static double b_cloglog(double x) { return x >= -1 ? 1 : -1; }
static double b_loglog(double x) { return 1 + exp(-x); }
static double b_cauchit(double x) { return x >= -1 ? 1 : -1; }
static double b_cdf(double x) { return x >= -1 ? 2 : 1.5 * (1 + x * x); }
static double b_idf(double x) { (void)x; return 3; }

START_TEST(test_link_functions)
{
    VECTORS(logistic, nv_logistic, b_logistic, 0x1p-1021);
    VECTORS(cloglog_inv, nv_cloglog_inv, b_cloglog, 0x1p-53);
    VECTORS(loglog_inv, nv_loglog_inv, b_loglog, 0x1p-52);
    VECTORS(cauchit_inv, nv_cauchit_inv, b_cauchit, 0x1p-53);
    /* float: within 1 float ulp of the double result */
    for (float x = -20; x <= 20; x += 0.37f) {
        float got = nv_logisticf(x), want = (float)nv_logistic(x);
        ck_assert_msg(fabsf(got - want) <= nextafterf(fabsf(want), INFINITY) - fabsf(want), "logisticf(%a)", x);
    }
}
END_TEST

START_TEST(test_normal)
{
    VECTORS(stdnorm_cdf, nv_stdnorm_cdf, b_cdf, 0x1p-53);
    VECTORS(stdnorm_idf, nv_stdnorm_idf, b_idf, 1e-14);
    ck_assert(nv_stdnorm_idf(0) == -HUGE_VAL);
    ck_assert(nv_stdnorm_idf(1) == HUGE_VAL);
    ck_assert(isnan(nv_stdnorm_idf(-0.1)) && isnan(nv_stdnorm_idf(1.5)) && isnan(nv_stdnorm_idf(NAN)));
    ck_assert(nv_stdnorm_idf(0.5) == 0);
    /* the two halves mirror each other exactly */
    ck_assert(nv_stdnorm_idf(0.75) == -nv_stdnorm_idf(0.25));
}
END_TEST

START_TEST(test_rounding_and_modulo)
{
    ck_assert(nv_round_half_up(2.5) == 3 && nv_round_half_up(-2.5) == -2 && nv_round_half_up(-2.6) == -3);
    ck_assert(nv_round_half_up(1e300) == 1e300);
    /* the specification's floor(x + 0.5): the one double below 0.5 that rounds up */
    ck_assert(nv_round_half_up(0.49999999999999994) == 1);
    ck_assert(isnan(nv_round_half_up(NAN)));
    ck_assert(nv_mod_floor(-1, 3) == 2 && nv_mod_floor(1, -3) == -2 && nv_mod_floor(7, 3) == 1);
    ck_assert(nv_mod_floor(-7.5, 2) == 0.5);
    ck_assert(isnan(nv_mod_floor(1, 0)));
    /* PFA's % (exact): the same sign rule */
    ck_assert(nv_fmod_py(-1, 3) == 2 && nv_fmod_py(1, -3) == -2);
}
END_TEST

START_TEST(test_median)
{
    double a[] = {3, NAN, 1, 2};
    ck_assert(nv_median(a, NULL, 4) == 2);
    double b[] = {4, 1, 3, 2};
    ck_assert(nv_median(b, NULL, 4) == 2.5);
    double c[] = {NAN, NAN};
    ck_assert(isnan(nv_median(c, NULL, 2)));
    /* weighted: the first value at which the running weight reaches half */
    double v[] = {10, 1, 5}, w[] = {1, 1, 4};
    ck_assert(nv_median(v, w, 3) == 5);
    double v2[] = {10, 1, 5}, w2[] = {5, 1, 1};
    ck_assert(nv_median(v2, w2, 3) == 10);
    /* more values than any fixed buffer */
    double big[1000];
    for (int i = 0; i < 1000; i++)
        big[i] = (i * 7919) % 1000;
    ck_assert(nv_median(big, NULL, 1000) == 499.5);
}
END_TEST

START_TEST(test_strings)
{
    char buf[256];
    nv_scratch S = {buf, 0, sizeof buf, 0};
    ck_assert_str_eq(nv_recase_c(&S, "\xc3\x81" "bc \xc3\xb7", 1), "\xc3\x81" "BC \xc3\xb7");
    ck_assert_str_eq(nv_recase_c(&S, "\xc3\x80" "B\xc3\x97", 0), "\xc3\xa0" "b\xc3\x97");
    ck_assert_str_eq(nv_concat(&S, "ab", "cd"), "abcd");
    ck_assert_str_eq(nv_substr(&S, "hello", 2, 3), "ell");
    ck_assert_str_eq(nv_substr(&S, "hello", 0, 99), "hello");
    ck_assert_str_eq(nv_substr(&S, "hello", 9, 2), "");
    ck_assert_str_eq(nv_trim_blanks(&S, " \t x y \r\n"), "x y");
    ck_assert_str_eq(nv_dtostr(&S, 1.5, 0), "1.5");
    ck_assert_str_eq(nv_dtostr(&S, 3.0, 0), "3");
    ck_assert_str_eq(nv_dtostr(&S, 0.1, 0), "0.1");
    ck_assert_str_eq(nv_dtostr(&S, (double)0.1f, 1), "0.1");
    ck_assert_str_eq(nv_dtostr(&S, -42, 2), "-42");
    double d;
    ck_assert(nv_strtod("2.5 ", &d) && d == 2.5);
    ck_assert(!nv_strtod("2.5x", &d) && !nv_strtod("", &d));
    ck_assert(!S.overflow);
    /* scratch exhausted: an empty string and the overflow flag, never a write past it */
    char small[4];
    nv_scratch T = {small, 0, sizeof small, 0};
    ck_assert_str_eq(nv_concat(&T, "abc", "def"), "");
    ck_assert(T.overflow);
    /* in place, as PFA's strings use it */
    char x[] = "Hello \xc3\x89t\xc3\xa9";
    nv_casemap(x, x, strlen(x), 0);
    ck_assert_str_eq(x, "hello \xc3\xa9t\xc3\xa9");
}
END_TEST

START_TEST(test_intern_and_text_index)
{
    static const char *const d[] = {"", "apple", "banana", "cherry"};
    ck_assert_int_eq(nv_intern("banana", d, 4), 2);
    ck_assert_int_eq(nv_intern("", d, 4), 0);
    ck_assert_int_eq(nv_intern("date", d, 4), -1);
    char buf[4096];
    nv_scratch S = {buf, 0, sizeof buf, 0};
    static const char *const ws[] = {"quick"};
    static const nv_trule rules[] = {{1, ws, 1, "fast"}};
    nv_tix tix = {0, 0, 0, rules, 1};
    nv_tcache c;
    memset(&c, 0, sizeof c);
    const char *text = "The quick fox, the FAST fox!";
    ck_assert_int_eq(nv_tf(&S, &tix, &c, text, "fast"), 2);
    ck_assert_int_eq(nv_tf(&S, &tix, &c, text, "fox"), 2);
    ck_assert_int_eq(nv_tf(&S, &tix, &c, text, "the fast fox"), 2);
    ck_assert_int_eq(nv_tf(&S, &tix, &c, text, "quick"), 0);
}
END_TEST

START_TEST(test_logic3)
{
    ck_assert_int_eq(nv_and3(1, -1), -1);
    ck_assert_int_eq(nv_and3(0, -1), 0);
    ck_assert_int_eq(nv_or3(1, -1), 1);
    ck_assert_int_eq(nv_or3(0, -1), -1);
    ck_assert_int_eq(nv_xor3(1, 0), 1);
    ck_assert_int_eq(nv_xor3(1, -1), -1);
    ck_assert_int_eq(nv_sur3(-1, 0), 0);
    ck_assert_int_eq(nv_sur3(1, 0), 1);
}
END_TEST

/* node 0: true, children 1 (x < 5) and 2 (true) */
START_TEST(test_table_walk)
{
    static const nv_tnode T[] = {
        {0, 0, 0, 0.0, 0, 0, 0, 2, -1},
        {2, 2, 0, 5.0, 0, 0, 2, 0, -1},
        {0, 0, 0, 0.0, 0, 0, 2, 0, -1},
    };
    static const int kids[] = {1, 2};
    static const char *const str[] = {""};
    static const double num[] = {0.0};
    nv_slot fx[1] = {{3.0, NULL, 0, 0}};
    ck_assert_int_eq(nv_walk(T, kids, 0, 0, fx, str, num), 1);
    fx[0].d = 7;
    ck_assert_int_eq(nv_walk(T, kids, 0, 0, fx, str, num), 2);
    fx[0].n = 1; /* missing: each strategy */
    ck_assert_int_eq(nv_walk(T, kids, 0, 0, fx, str, num), 2);
    ck_assert_int_eq(nv_walk(T, kids, 1, 0, fx, str, num), 0);
    ck_assert_int_eq(nv_walk(T, kids, 2, 0, fx, str, num), -1);
    ck_assert_int_eq(nv_walk(T, kids, 3, 0, fx, str, num), 0);
}
END_TEST

/* one test on slot 0 against threshold 5 (position 1): p < 1 -> node 1,
   p >= 1 -> node 2, NaN -> null, missing -> node 0 */
START_TEST(test_graph_walk)
{
    static const double th[] = {5.0};
    static const nv_gtest G[] = {{1, {-4, -3}, 0, 1, 6}};
    static const int X[] = {-1, -2};
    static const nv_gtree F[] = {{G, X, nv_nomask, 0}, {G, X, nv_nomask, 0}, {G, X, nv_nomask, 0},
                                 {G, X, nv_nomask, 0}, {G, X, nv_nomask, 0}};
    static const struct { double x; int missing, node; } cases[] = {
        {3, 0, 1}, {5, 0, 2}, {7, 0, 2}, {NAN, 0, -1}, {0, 1, 0}};
    ck_assert_int_eq(nv_pos(th, 1, 3), 0);
    ck_assert_int_eq(nv_pos(th, 1, 5), 1);
    ck_assert_int_eq(nv_pos(th, 1, 7), 2);
    ck_assert_int_eq(nv_pos(th, 1, NAN), -1);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nv_slot fx[1] = {{cases[i].x, NULL, cases[i].missing, 0}};
        fx[0].p = cases[i].missing ? NV_GMISS : nv_pos(th, 1, cases[i].x);
        ck_assert_int_eq(nv_gwalk(G, X, nv_nomask, 0, fx), cases[i].node);
        int res[5];
        nv_gwalk_all(F, 5, fx, res);
        for (int t = 0; t < 5; t++)
            ck_assert_int_eq(res[t], cases[i].node);
    }
}
END_TEST

/* A flat tree (the library's defaults: float values, two children): the
   root sends x < 1.5 to entry 1 (node 1), x >= 1.5 to entry 2, which sends
   y < 0 to entry 3 (node 3) and y >= 0 to entry 4 (node 4).  x missing goes
   to the first child (X[0] reads -inf), y missing to the second (X[3]
   reads +inf).  A NaN x goes to entry 5 (null), a NaN y to 6 (node 2). */
START_TEST(test_flat_walk)
{
    /* a leaf's t is the node it selects + 2 */
    static const nv_fnode T[] = {{1.5f, 0, 1}, {3.0f, 4, 1}, {0.0f, 3, 3}, {5.0f, 4, 3},
                                 {6.0f, 4, 4}, {1.0f, 4, 5}, {4.0f, 4, 6}};
    static const nv_fs V[] = {0, 10, 0, 30, 40, NAN, 20};
    static const int N[] = {5, 1, 6, 3, 4, 5, 6};
    static const nv_ftree F[] = {{T, 0, V, N, 2, 2}, {T, 0, V, N, 2, 2}, {T, 0, V, N, 2, 2}};
    /* slots: x (lo copy 0, hi 2), y (lo 1, hi 3); 4 the constant 0 */
    static const struct { float x, y; int xmiss, ymiss, node; } cases[] = {
        {1, 5, 0, 0, 1}, {1.5f, -1, 0, 0, 3}, {2, 0, 0, 0, 4}, {0, 0, 1, 0, 1},
        {2, 0, 0, 1, 4}, {NAN, 0, 0, 0, -1}, {2, NAN, 0, 0, 2}};
    enum { NC = sizeof cases / sizeof cases[0] };
    nv_ft X[NC * 5];
    nv_fs acc[13];
    int res[13 * 3], at[3];
    for (int i = 0; i < NC; i++) {
        nv_ft *x = X + 5 * i;
        x[0] = cases[i].xmiss ? -HUGE_VALF : cases[i].x;
        x[2] = cases[i].xmiss ? HUGE_VALF : cases[i].x;
        x[1] = cases[i].ymiss ? -HUGE_VALF : cases[i].y;
        x[3] = cases[i].ymiss ? HUGE_VALF : cases[i].y;
        x[4] = 0;
        nv_frec rec = {x, 0};
        int r3[3];
        nv_fexact(F, 3, &rec, r3);
        ck_assert_int_eq(r3[0], cases[i].node);
        ck_assert_int_eq(r3[2], cases[i].node);
        if (cases[i].x != cases[i].x || cases[i].y != cases[i].y)
            continue; /* NaN: nv_fexact's alone */
        nv_fres(F, 3, &rec, r3);
        ck_assert_int_eq(r3[1], cases[i].node);
        nv_fs sum = 1;
        nv_fsum(F, 3, &rec, &sum, 1, at);
        ck_assert(sum == 1 + 3 * V[r3[1] == 1 ? 1 : r3[1] == 3 ? 3 : 4]);
    }
    ck_assert_int_eq(nv_frank((const double[]){1, 2, 4}, 3, 0.5), 0);
    ck_assert_int_eq(nv_frank((const double[]){1, 2, 4}, 3, 2), 2);
    ck_assert_int_eq(nv_frank((const double[]){1, 2, 4}, 3, 9), 3);
    /* a block of 13 rows (cases 0-4 over and over): a lane group of 8, then
       the rest one by one */
    nv_ft XB[13 * 5];
    nv_frec b = {XB, 0};
    for (int r = 0; r < 13; r++) {
        memcpy(XB + 5 * r, X + 5 * (r % 5), 5 * sizeof(nv_ft));
        acc[r] = 0;
    }
    nv_fblock(F, 3, &b, 5, 13, acc, 1, 0);
    nv_fblock(F, 3, &b, 5, 13, 0, 0, res);
    for (int r = 0; r < 13; r++) {
        ck_assert_int_eq(res[3 * r], cases[r % 5].node);
        ck_assert_int_eq(res[3 * r + 2], cases[r % 5].node);
        ck_assert(acc[r] == 3 * V[cases[r % 5].node]);
    }
}
END_TEST

static Suite *lib_suite(void)
{
    Suite *s = suite_create("lib");
    TCase *k = tcase_create("kernels");
    tcase_add_test(k, test_link_functions);
    tcase_add_test(k, test_normal);
    tcase_add_test(k, test_rounding_and_modulo);
    tcase_add_test(k, test_median);
    suite_add_tcase(s, k);
    TCase *t = tcase_create("text");
    tcase_add_test(t, test_strings);
    tcase_add_test(t, test_intern_and_text_index);
    suite_add_tcase(s, t);
    TCase *r = tcase_create("trees");
    tcase_add_test(r, test_logic3);
    tcase_add_test(r, test_table_walk);
    tcase_add_test(r, test_graph_walk);
    tcase_add_test(r, test_flat_walk);
    suite_add_tcase(s, r);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(lib_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
