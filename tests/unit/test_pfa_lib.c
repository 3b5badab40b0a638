/* Unit tests for the PFA analytic library (runtime/lib/pfa_la.c,
 * pfa_prob.c, pfa_stat.c, pfa_model.c, pfa_rand.c), compiled here as
 * ordinary C through lib.c.
 *
 * Why: the shared corpus checks these functions on few inputs; here the
 * random numbers' distributions are checked -- uniformity by chi-square,
 * moments, ranges, formats, seeding (that they are Python's own draws,
 * bit for bit, is tests/unit/test_pfa_rand.c's part) -- along with what
 * the corpus leaves out: updates in place (nv_own) and the spec's error
 * codes of functions it does not test. */
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
    nv_seed(E, 1, 42);
}

static void teardown(void) { nv_state_free(&eng); }

static const nv_type T_INT_ = {NV_INT, NULL, NULL, NULL, NULL, NULL, 0, 0};
static const nv_type T_LNG = {NV_LONG, NULL, NULL, NULL, NULL, NULL, 0, 0};
static const nv_type T_FLT = {NV_FLOAT, NULL, NULL, NULL, NULL, NULL, 0, 0};
static const nv_type T_DBL = {NV_DOUBLE, NULL, NULL, NULL, NULL, NULL, 0, 0};
static const nv_type T_STR = {NV_STRING, NULL, NULL, NULL, NULL, NULL, 0, 0};
static const nv_type T_BYT = {NV_BYTES, NULL, NULL, NULL, NULL, NULL, 0, 0};
static const nv_type T_ADBL = {NV_ARRAY, NULL, &T_DBL, NULL, NULL, NULL, 0, 0};
static const nv_type T_AINT = {NV_ARRAY, NULL, &T_INT_, NULL, NULL, NULL, 0, 0};
static const nv_type T_MDBL = {NV_MAP, NULL, &T_DBL, NULL, NULL, NULL, 0, 0};
static const nv_type T_MMDBL = {NV_MAP, NULL, &T_MDBL, NULL, NULL, NULL, 0, 0};
static const nv_type *const S_PARTS[] = {&T_DBL, &T_DBL, &T_DBL};
static const char *const S_NAMES[] = {"count", "mean", "variance"};
static const nv_type T_STATE = {NV_RECORD, "S", NULL, S_PARTS, S_NAMES, NULL, 3, 0};

/* the error code a call raises (0: none) */
typedef struct call {
    nv_val (*f)(nv_eng *, const nv_type *const *, const nv_val *);
    const nv_type *const *T;
    const nv_val *a;
    nv_val r;
} call;

static void call_body(nv_eng *e, void *frame)
{
    call *c = (call *)frame;
    c->r = c->f(e, c->T, c->a);
}

static int raises(nv_val (*f)(nv_eng *, const nv_type *const *, const nv_val *), const nv_type *const *T,
                  const nv_val *a)
{
    call c = {f, T, a, {0}};
    return nv_try(E, call_body, &c) ? E->err_code : 0;
}

static nv_arr *ints(int n, const int *v)
{
    nv_arr *a = nv_arr_new(E, n);
    for (int i = 0; i < n; i++)
        a->v[i] = nv_vi(v[i]);
    return a;
}

/* Pearson's chi-square of counts against equal expectations */
static double chi2_uniform(const long *count, int k, long n)
{
    double e = (double)n / k, c = 0;
    for (int i = 0; i < k; i++)
        c += (count[i] - e) * (count[i] - e) / e;
    return c;
}

static void noop_body(nv_eng *e, void *frame)
{
    (void)e;
    (void)frame;
}

START_TEST(test_seeding)
{
    nv_eng other;
    uint32_t x[4];
    /* the same seed, the same sequence; another battery index, another */
    for (int i = 0; i < 4; i++)
        x[i] = nv_rand32(E);
    memset(&other, 0, sizeof other);
    nv_seed(&other, 1, 42);
    for (int i = 0; i < 4; i++)
        ck_assert(nv_rand32(&other) == x[i]);
    memset(&other, 0, sizeof other);
    other.index = 1;
    nv_seed(&other, 1, 42);
    ck_assert(nv_rand32(&other) != x[0]);
    /* a battery's engines take indexes 0, 1, ... in the order they start */
    {
        nv_shared sh;
        nv_eng a, b;
        memset(&sh, 0, sizeof sh);
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        ck_assert_int_eq(nv_start(&a, NULL, 0, NULL, 0, NULL, NULL, NULL, &sh, noop_body, NULL, -1), NERVA_PFA_OK);
        ck_assert_int_eq(nv_start(&b, NULL, 0, NULL, 0, NULL, NULL, NULL, &sh, noop_body, NULL, -1), NERVA_PFA_OK);
        ck_assert(a.index == 0 && b.index == 1 && sh.engines == 2);
        nv_seed(&a, 1, 42);
        nv_seed(&b, 1, 42);
        ck_assert(nv_rand32(&a) == x[0] && nv_rand32(&b) != x[0]);
        nv_state_free(&a);
        nv_state_free(&b);
    }
    /* without a seed, the clock: two engines differ */
    memset(&other, 0, sizeof other);
    nv_seed(&other, 0, 0);
    ck_assert(nv_rand32(&other) != x[0]);
}
END_TEST

START_TEST(test_uniform_integers)
{
    static const nv_type *const sig2[] = {&T_INT_, &T_INT_, &T_INT_, NULL};
    static const nv_type *const sig0[] = {&T_INT_, NULL};
    static const nv_type *const sigl[] = {&T_LNG, &T_LNG, &T_LNG, NULL};
    long count[7] = {0};
    nv_val a[2];
    const long n = 70000;
    double mean = 0;
    a[0] = nv_vi(-3);
    a[1] = nv_vi(4);
    for (long i = 0; i < n; i++) {
        int32_t v = nvf_rand_int(E, sig2, a).i;
        ck_assert(v >= -3 && v < 4);
        count[v + 3]++;
    }
    /* 6 degrees of freedom: 22.5 has probability 0.001 */
    ck_assert_msg(chi2_uniform(count, 7, n) < 22.5, "chi2 %g", chi2_uniform(count, 7, n));
    for (long i = 0; i < n; i++)
        mean += nvf_rand_int(E, sig0, NULL).i / 2147483648.0;
    ck_assert(fabs(mean / n) < 0.01);                  /* sd of the mean: 0.0022 */
    /* a range wider than half the longs */
    a[0] = nv_vl(INT64_MIN + 5);
    a[1] = nv_vl(INT64_MAX);
    for (int i = 0; i < 1000; i++)
        ck_assert(nvf_rand_long(E, sigl, a).l >= INT64_MIN + 5);
    a[0] = nv_vi(4);
    a[1] = nv_vi(4);
    ck_assert_int_eq(raises(nvf_rand_int, sig2, a), 34000);
}
END_TEST

START_TEST(test_uniform_and_gaussian_doubles)
{
    static const nv_type *const sig[] = {&T_DBL, &T_DBL, &T_DBL, NULL};
    static const nv_type *const sigf[] = {&T_FLT, &T_FLT, &T_FLT, NULL};
    nv_val a[2];
    const long n = 100000;
    double s = 0, s2 = 0, within = 0;
    long count[10] = {0};
    a[0] = nv_vd(5);
    a[1] = nv_vd(10);
    for (long i = 0; i < n; i++) {
        double x = nvf_rand_double(E, sig, a).d;
        ck_assert(x >= 5 && x < 10);
        s += x;
        s2 += x * x;
        count[(int)((x - 5) * 2)]++;
    }
    ck_assert(fabs(s / n - 7.5) < 0.03);                              /* sd 0.0046 */
    ck_assert(fabs(s2 / n - 7.5 * 7.5 - 25.0 / 12) < 0.05);
    ck_assert(chi2_uniform(count, 10, n) < 27.9);                     /* df 9, p 0.001 */
    a[0] = nv_vf(1);
    a[1] = nv_vf(1.5f);
    for (long i = 0; i < 1000; i++) {
        float f = nvf_rand_float(E, sigf, a).f;
        ck_assert(f >= 1 && f < 1.5f);
    }
    a[0] = nv_vd(-DBL_MAX);
    a[1] = nv_vd(DBL_MAX);
    ck_assert(nv_finite(nvf_rand_double(E, sig, a).d));
    /* Gaussian(10, 2): moments, and the share within one sigma (0.6827) */
    a[0] = nv_vd(10);
    a[1] = nv_vd(2);
    s = s2 = 0;
    for (long i = 0; i < n; i++) {
        double x = nvf_rand_gaussian(E, sig, a).d;
        s += x;
        s2 += (x - 10) * (x - 10);
        within += fabs(x - 10) < 2;
    }
    ck_assert(fabs(s / n - 10) < 0.03);
    ck_assert(fabs(sqrt(s2 / n) - 2) < 0.03);
    ck_assert(fabs(within / n - 0.682689) < 0.006);
    a[0] = nv_vd(3);
    a[1] = nv_vd(3);
    ck_assert_int_eq(raises(nvf_rand_double, sig, a), 34030);
}
END_TEST

START_TEST(test_choices_samples_histograms)
{
    static const nv_type *const sigc[] = {&T_INT_, &T_AINT, NULL};
    static const nv_type *const sigs[] = {&T_AINT, &T_INT_, &T_AINT, NULL};
    static const nv_type *const sigh[] = {&T_INT_, &T_ADBL, NULL};
    static const int pop[] = {0, 1, 2, 3, 4};
    long count[5] = {0};
    nv_val a[2];
    const long n = 50000;
    a[0] = nv_vp(ints(5, pop));
    for (long i = 0; i < n; i++)
        count[nvf_rand_choice(E, sigc, a).i]++;
    ck_assert(chi2_uniform(count, 5, n) < 18.5);                      /* df 4, p 0.001 */
    /* samples without replacement: distinct members, every member alike */
    a[0] = nv_vi(3);
    a[1] = nv_vp(ints(5, pop));
    memset(count, 0, sizeof count);
    for (long i = 0; i < n; i++) {
        const nv_arr *r = (const nv_arr *)nvf_rand_sample(E, sigs, a).p;
        ck_assert_int_eq((int)r->n, 3);
        ck_assert(r->v[0].i != r->v[1].i && r->v[1].i != r->v[2].i && r->v[0].i != r->v[2].i);
        for (int k = 0; k < 3; k++)
            count[r->v[k].i]++;
    }
    ck_assert(chi2_uniform(count, 5, 3 * n) < 18.5);
    a[0] = nv_vi(6);
    ck_assert_int_eq(raises(nvf_rand_sample, sigs, a), 34061);
    a[1] = nv_vp(ints(0, pop));
    ck_assert_int_eq(raises(nvf_rand_sample, sigs, a), 34060);
    ck_assert_int_eq(raises(nvf_rand_choices, sigs, a), 34050);
    /* a histogram: frequencies in proportion, a zero weight never drawn */
    {
        nv_arr *w = nv_arr_new(E, 4);
        long hc[4] = {0};
        w->v[0] = nv_vd(1);
        w->v[1] = nv_vd(0);
        w->v[2] = nv_vd(2);
        w->v[3] = nv_vd(1);
        a[0] = nv_vp(w);
        for (long i = 0; i < n; i++)
            hc[nvf_rand_histogram(E, sigh, a).i]++;
        ck_assert_int_eq((int)hc[1], 0);
        ck_assert(fabs(hc[2] / (double)n - 0.5) < 0.015 && fabs(hc[0] / (double)n - 0.25) < 0.015);
        w->v[1] = nv_vd(-1);
        ck_assert_int_eq(raises(nvf_rand_histogram, sigh, a), 34072);
        w->v[1] = nv_vd(NAN);
        ck_assert_int_eq(raises(nvf_rand_histogram, sigh, a), 34071);
        for (int k = 0; k < 4; k++)
            w->v[k] = nv_vd(0);
        ck_assert_int_eq(raises(nvf_rand_histogram, sigh, a), 34070);
    }
}
END_TEST

START_TEST(test_strings_bytes_uuids)
{
    static const nv_type *const sig3[] = {&T_STR, &T_INT_, &T_INT_, &T_INT_, NULL};
    static const nv_type *const sigp[] = {&T_STR, &T_INT_, &T_STR, NULL};
    static const nv_type *const sigb[] = {&T_BYT, &T_INT_, &T_INT_, &T_INT_, NULL};
    static const nv_type *const sig0[] = {&T_STR, NULL};
    static const nv_type *const sig1[] = {&T_STR, &T_INT_, NULL};
    nv_val a[3];
    const nv_str *s;
    a[0] = nv_vi(200);
    a[1] = nv_vi(33);
    a[2] = nv_vi(127);
    s = (const nv_str *)nvf_rand_string(E, sig3, a).p;
    ck_assert_int_eq((int)s->n, 200);
    for (int i = 0; i < 200; i++)
        ck_assert(s->s[i] >= 33 && s->s[i] < 127);
    /* the whole range: valid UTF-8, no surrogate */
    s = (const nv_str *)nvf_rand_string(E, sig1, a).p;
    ck_assert(nv_utf8_valid(s->s, s->n));
    /* from a population, counted in code points */
    a[1] = nv_vp(nv_cstr(E, "\xc3\xa9z"));
    s = (const nv_str *)nvf_rand_string(E, sigp, a).p;
    for (int64_t i = 0; i < s->n;) {
        ck_assert((unsigned char)s->s[i] == 0xc3 ? (unsigned char)s->s[i + 1] == 0xa9 : s->s[i] == 'z');
        i += (unsigned char)s->s[i] == 0xc3 ? 2 : 1;
    }
    a[1] = nv_vp(nv_cstr(E, ""));
    ck_assert_int_eq(raises(nvf_rand_string, sigp, a), 34083);
    a[0] = nv_vi(0);
    ck_assert_int_eq(raises(nvf_rand_string, sig1, a), 34080);
    a[0] = nv_vi(5);
    a[1] = nv_vi(0);
    a[2] = nv_vi(10);
    ck_assert_int_eq(raises(nvf_rand_string, sig3, a), 34082);
    a[1] = nv_vi(250);
    a[2] = nv_vi(257);
    ck_assert_int_eq(raises(nvf_rand_bytes, sigb, a), 34092);
    a[2] = nv_vi(256);
    s = (const nv_str *)nvf_rand_bytes(E, sigb, a).p;
    for (int i = 0; i < 5; i++)
        ck_assert((unsigned char)s->s[i] >= 250);
    /* sizes past 1 GiB are refused before anything is allocated */
    a[0] = nv_vi(INT32_MAX);
    ck_assert_int_eq(raises(nvf_rand_bytes, sigb, a), -1000);
    ck_assert_int_eq(raises(nvf_rand_string, sig1, a), -1000);
    /* uuid4: 8-4-4-4-12 lowercase hexadecimal digits, version 4, variant 8 */
    for (int k = 0; k < 100; k++) {
        s = (const nv_str *)nvf_rand_uuid4(E, sig0, NULL).p;
        ck_assert_int_eq((int)s->n, 36);
        for (int i = 0; i < 36; i++)
            ck_assert(i == 8 || i == 13 || i == 18 || i == 23 ? s->s[i] == '-'
                                                             : strchr("0123456789abcdef", s->s[i]) != NULL);
        ck_assert(s->s[14] == '4' && s->s[19] == '8');
    }
}
END_TEST

/* an updater changes a granted state in place, and only that one */
START_TEST(test_updates_in_place)
{
    static const nv_type *const sig[] = {&T_STATE, &T_DBL, &T_DBL, &T_STATE, NULL};
    nv_rec *st = nv_rec_new(E, 3);
    nv_val a[3], r;
    st->f[0] = nv_vd(1);
    st->f[1] = nv_vd(2);
    st->f[2] = nv_vd(0);
    a[0] = nv_vd(4);
    a[1] = nv_vd(1);
    a[2] = nv_vp(st);
    /* not granted: a new record, the old one untouched */
    r = nvf_stat_sample_update(E, sig, a);
    ck_assert(r.p != st && st->f[0].d == 1 && ((nv_rec *)r.p)->f[0].d == 2);
    ck_assert(((nv_rec *)r.p)->f[1].d == 3 && ((nv_rec *)r.p)->f[2].d == 1);
    /* granted: the same record, changed, and the grant used up */
    E->mut = st;
    r = nvf_stat_sample_update(E, sig, a);
    ck_assert(r.p == st && st->f[0].d == 2 && st->f[1].d == 3 && E->mut == NULL);
    r = nvf_stat_sample_update(E, sig, a);
    ck_assert(r.p != st && st->f[0].d == 2);
    /* a grant of another value changes nothing here */
    E->mut = &a;
    r = nvf_stat_sample_update(E, sig, a);
    ck_assert(r.p != st && E->mut == &a);
    E->mut = NULL;
}
END_TEST

/* la on maps: sparse, a missing entry is 0, the result has every key */
START_TEST(test_la_maps)
{
    static const nv_type *const sig[] = {&T_MMDBL, &T_MMDBL, &T_MMDBL, NULL};
    static const nv_type *const sigv[] = {&T_MDBL, &T_MMDBL, &T_MDBL, NULL};
    nv_ment e[2], r[2];
    nv_map *x, *y, *out;
    nv_val a[2];
    /* x = {a: {p: 1}, b: {q: 2}}, y = {b: {p: 3}} */
    r[0].k = nv_cstr(E, "p");
    r[0].v = nv_vd(1);
    e[0].k = nv_cstr(E, "a");
    e[0].v = nv_vp(nv_map_sorted(E, r, 1));
    r[0].k = nv_cstr(E, "q");
    r[0].v = nv_vd(2);
    e[1].k = nv_cstr(E, "b");
    e[1].v = nv_vp(nv_map_sorted(E, r, 1));
    x = nv_map_sorted(E, e, 2);
    r[0].k = nv_cstr(E, "p");
    r[0].v = nv_vd(3);
    e[0].k = nv_cstr(E, "b");
    e[0].v = nv_vp(nv_map_sorted(E, r, 1));
    y = nv_map_sorted(E, e, 1);
    a[0] = nv_vp(x);
    a[1] = nv_vp(y);
    out = (nv_map *)nvf_la_add(E, sig, a).p;
    /* rows a, b; columns p, q in each */
    ck_assert_int_eq((int)out->n, 2);
    ck_assert(nv_mget2(out, nv_cstr(E, "b"), nv_cstr(E, "p")) == 3);
    ck_assert(nv_mget2(out, nv_cstr(E, "b"), nv_cstr(E, "q")) == 2);
    ck_assert_int_eq((int)NV_MAP(out->e[0].v)->n, 2);
    /* x . {p: 10, q: 100} = {a: 10, b: 200} */
    r[0].k = nv_cstr(E, "p");
    r[0].v = nv_vd(10);
    r[1].k = nv_cstr(E, "q");
    r[1].v = nv_vd(100);
    a[1] = nv_vp(nv_map_sorted(E, r, 2));
    out = (nv_map *)nvf_la_dot(E, sigv, a).p;
    ck_assert(nv_mget0(out, nv_cstr(E, "a")) == 10 && nv_mget0(out, nv_cstr(E, "b")) == 200);
}
END_TEST

static Suite *lib_suite(void)
{
    Suite *s = suite_create("pfa_lib");
    TCase *t = tcase_create("analytic");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_seeding);
    tcase_add_test(t, test_uniform_integers);
    tcase_add_test(t, test_uniform_and_gaussian_doubles);
    tcase_add_test(t, test_choices_samples_histograms);
    tcase_add_test(t, test_strings_bytes_uuids);
    tcase_add_test(t, test_updates_in_place);
    tcase_add_test(t, test_la_maps);
    suite_add_tcase(s, t);
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
