/* Unit tests of the PFA generator against Python's own draws: the
 * Mersenne Twister of runtime/lib/pfa_rt.c (seeding, raw words, random(),
 * the streams of a battery's engines) and the rand.* functions of
 * runtime/lib/pfa_rand.c and a.shuffle, replayed call for call against
 * tests/unit/rand_vectors.h (tools/gen_rand_vectors.py, run under Python
 * 2.7 as the reference engine Titus is).
 *
 * Why: a document with a "randseed" must draw exactly what Titus draws,
 * and the shared corpus checks that only for a few calls of seed 12345;
 * here every function is checked bit for bit over thousands of draws,
 * including the branches the corpus never reaches (ranges past 2^53,
 * Python 2.7's two methods of sample, Gaussian pairs, several seeds, the
 * engines of a battery).  The distributions themselves are checked in
 * tests/unit/test_pfa_lib.c. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib.c"
#include "rand_vectors.h"

static nv_eng eng;
static nv_eng *E = &eng;

static void setup(void)
{
    memset(&eng, 0, sizeof eng);
    eng.cur = &eng.tmp;
}

static void teardown(void) { nv_state_free(&eng); }

static const nv_type T_INT_ = {NV_INT, NULL, NULL, NULL, NULL, NULL, 0, 0};
static const nv_type T_LNG = {NV_LONG, NULL, NULL, NULL, NULL, NULL, 0, 0};
static const nv_type T_DBL = {NV_DOUBLE, NULL, NULL, NULL, NULL, NULL, 0, 0};
static const nv_type T_STR = {NV_STRING, NULL, NULL, NULL, NULL, NULL, 0, 0};
static const nv_type T_BYT = {NV_BYTES, NULL, NULL, NULL, NULL, NULL, 0, 0};
static const nv_type T_ADBL = {NV_ARRAY, NULL, &T_DBL, NULL, NULL, NULL, 0, 0};
static const nv_type T_AINT = {NV_ARRAY, NULL, &T_INT_, NULL, NULL, NULL, 0, 0};

#define NSTREAMS ((int)(sizeof RV_STREAMS / sizeof RV_STREAMS[0]))

/* random.Random(seed): the words and doubles from the key of |seed|, and
   from an engine's randseed when the seed fits one */
START_TEST(test_streams)
{
    for (int s = 0; s < NSTREAMS; s++) {
        const rv_stream *v = &RV_STREAMS[s];
        nv_mt g;
        nv_mt_seed(&g, v->key, v->nkey);
        for (int i = 0; i < RV_NWORDS; i++)
            ck_assert_msg(nv_mt_next(&g) == v->words[i], "stream %d word %d", s, i);
        for (int i = 0; i < RV_NUNITS; i++)
            ck_assert_msg(nv_mt_unit(&g) == v->units[i], "stream %d unit %d", s, i);
        if (!v->in_i64)
            continue;
        memset(&eng, 0, sizeof eng);
        nv_seed(E, 1, v->seed);
        for (int i = 0; i < RV_NWORDS; i++)
            ck_assert_msg(nv_rand32(E) == v->words[i], "seed %lld word %d", (long long)v->seed, i);
        for (int i = 0; i < RV_NUNITS; i++)
            ck_assert(nv_rand_unit(E) == v->units[i]);
    }
}
END_TEST

/* engine i of a battery: Titus's chain of seeds; without a seed, the clock */
START_TEST(test_battery)
{
    for (size_t k = 0; k < sizeof RV_BATTERY / sizeof RV_BATTERY[0]; k++) {
        memset(&eng, 0, sizeof eng);
        eng.index = RV_BATTERY[k].index;
        nv_seed(E, 1, RV_BATTERY[k].seed);
        for (int i = 0; i < 4; i++)
            ck_assert_msg(nv_rand32(E) == RV_BATTERY[k].words[i], "seed %lld engine %d", (long long)RV_BATTERY[k].seed,
                          RV_BATTERY[k].index);
    }
    /* the same streams from a battery's chain (nv_shared): engines started
       in order, then one behind it, which starts the chain again */
    {
        static nv_shared sh;
        static const int order[] = {0, 1, 2, 3, 4, 2, 4};
        for (int seed = 0; seed < 2; seed++) {
            memset(&sh, 0, sizeof sh);
            for (size_t o = 0; o < sizeof order / sizeof order[0]; o++) {
                size_t k = 0;
                while (RV_BATTERY[k].seed != (seed ? -7 : 12345) || RV_BATTERY[k].index != order[o])
                    k++;
                memset(&eng, 0, sizeof eng);
                eng.index = order[o];
                eng.sh = &sh;
                nv_seed(E, 1, RV_BATTERY[k].seed);
                for (int i = 0; i < 4; i++)
                    ck_assert_msg(nv_rand32(E) == RV_BATTERY[k].words[i], "battery seed %lld engine %d",
                                  (long long)RV_BATTERY[k].seed, order[o]);
            }
            ck_assert(sh.chained == 4);
        }
    }
    {
        nv_eng a, b;
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        b.index = 1;
        nv_seed(&a, 0, 0);
        nv_seed(&b, 0, 0);
        ck_assert(nv_rand32(&a) != nv_rand32(&b) || nv_rand32(&a) != nv_rand32(&b));
    }
}
END_TEST

static nv_arr *iota(int64_t n)
{
    nv_arr *a = nv_arr_new(E, n);
    for (int64_t i = 0; i < n; i++)
        a->v[i] = nv_vi((int32_t)i);
    return a;
}

/* the code points of UTF-8 text (valid, as nerva writes it) */
static int code_points(const nv_str *s, unsigned *cp, int max)
{
    int n = 0;
    for (int64_t k = 0; k < s->n && n < max;) {
        unsigned c = (unsigned char)s->s[k];
        int more = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
        c &= more == 0 ? 0x7F : more == 1 ? 0x1F : more == 2 ? 0x0F : 0x07;
        for (k++; more > 0; more--, k++)
            c = (c << 6) | ((unsigned char)s->s[k] & 0x3F);
        cp[n++] = c;
    }
    return n;
}

/* one rand.* call of the vectors, on E, against Python's result */
static void replay(int row)
{
    static const nv_type *const sig_i0[] = {&T_INT_, NULL};
    static const nv_type *const sig_l0[] = {&T_LNG, NULL};
    static const nv_type *const sig_i2[] = {&T_INT_, &T_INT_, &T_INT_, NULL};
    static const nv_type *const sig_l2[] = {&T_LNG, &T_LNG, &T_LNG, NULL};
    static const nv_type *const sig_d2[] = {&T_DBL, &T_DBL, &T_DBL, NULL};
    static const nv_type *const sig_c[] = {&T_INT_, &T_AINT, NULL};
    static const nv_type *const sig_s[] = {&T_AINT, &T_INT_, &T_AINT, NULL};
    static const nv_type *const sig_h[] = {&T_INT_, &T_ADBL, NULL};
    static const nv_type *const sig_b[] = {&T_BYT, &T_INT_, &T_INT_, &T_INT_, NULL};
    static const nv_type *const sig_str[] = {&T_STR, &T_INT_, NULL};
    static const nv_type *const sig_u[] = {&T_STR, NULL};
    const int64_t *want = &RV_POOL_I[RV_OPS[row].at];
    int64_t a0 = RV_OPS[row].a, a1 = RV_OPS[row].b, n = RV_OPS[row].n;
    nv_val a[3];
    const nv_arr *r;
    const nv_str *s;
    switch (RV_OPS[row].op) {
    case RV_INT0:
        ck_assert_int_eq(nvf_rand_int(E, sig_i0, NULL).i, want[0]);
        break;
    case RV_LONG0:
        ck_assert_int_eq(nvf_rand_long(E, sig_l0, NULL).l, want[0]);
        break;
    case RV_INT:
        a[0] = nv_vi((int32_t)a0);
        a[1] = nv_vi((int32_t)a1);
        ck_assert_int_eq(nvf_rand_int(E, sig_i2, a).i, want[0]);
        break;
    case RV_LONG:
        a[0] = nv_vl(a0);
        a[1] = nv_vl(a1);
        ck_assert_int_eq(nvf_rand_long(E, sig_l2, a).l, want[0]);
        break;
    case RV_DOUBLE:
    case RV_GAUSS:
        a[0] = nv_vd(RV_POOL_D[a0]);
        a[1] = nv_vd(RV_POOL_D[a0 + 1]);
        ck_assert_msg((RV_OPS[row].op == RV_DOUBLE ? nvf_rand_double : nvf_rand_gaussian)(E, sig_d2, a).d ==
                          RV_POOL_D[a0 + 2],
                      "row %d", row);
        break;
    case RV_CHOICE:
        a[0] = nv_vp(iota(a0));
        ck_assert_int_eq(nvf_rand_choice(E, sig_c, a).i, want[0]);
        break;
    case RV_SAMPLE:
        a[0] = nv_vi((int32_t)a1);
        a[1] = nv_vp(iota(a0));
        r = (const nv_arr *)nvf_rand_sample(E, sig_s, a).p;
        ck_assert_int_eq(r->n, n);
        for (int64_t i = 0; i < n; i++)
            ck_assert_msg(r->v[i].i == want[i], "row %d: sample(%lld, %lld)[%lld]", row, (long long)a0,
                          (long long)a1, (long long)i);
        break;
    case RV_SHUFFLE:
        a[0] = nv_vp(iota(a0));
        r = (const nv_arr *)nvf_a_shuffle(E, sig_c, a).p;
        ck_assert_int_eq(r->n, n);
        for (int64_t i = 0; i < n; i++)
            ck_assert_int_eq(r->v[i].i, want[i]);
        break;
    case RV_UUID: {
        /* Titus's string (a last group of 16 digits), cut to the spec's 12 */
        char titus[48];
        snprintf(titus, sizeof titus, "%08llx-%04llx-4%03llx-8%03llx-%016llx", (unsigned long long)want[0],
                 (unsigned long long)want[1], (unsigned long long)want[2], (unsigned long long)want[3],
                 (unsigned long long)want[4]);
        s = (const nv_str *)nvf_rand_uuid4(E, sig_u, NULL).p;
        ck_assert_int_eq(s->n, 36);
        ck_assert_msg(memcmp(s->s, titus, 36) == 0, "%.36s is not %s cut", s->s, titus);
        break;
    }
    case RV_HISTO: {
        nv_arr *w = nv_arr_new(E, a1);
        for (int64_t i = 0; i < a1; i++)
            w->v[i] = nv_vd(RV_POOL_D[a0 + i]);
        a[0] = nv_vp(w);
        ck_assert_int_eq(nvf_rand_histogram(E, sig_h, a).i, want[0]);
        break;
    }
    case RV_BYTES:
        a[0] = nv_vi((int32_t)n);
        a[1] = nv_vi((int32_t)a0);
        a[2] = nv_vi((int32_t)a1);
        s = (const nv_str *)nvf_rand_bytes(E, sig_b, a).p;
        ck_assert_int_eq(s->n, n);
        for (int64_t i = 0; i < n; i++)
            ck_assert_int_eq((unsigned char)s->s[i], want[i]);
        break;
    case RV_STRING: {
        unsigned cp[16];
        a[0] = nv_vi((int32_t)n);
        s = (const nv_str *)nvf_rand_string(E, sig_str, a).p;
        ck_assert_int_eq(code_points(s, cp, 16), n);
        for (int64_t i = 0; i < n; i++) {
            ck_assert(want[i] != 0xD800);   /* then nerva draws again (see pfa_rand.c) */
            ck_assert_int_eq(cp[i], want[i]);
        }
        break;
    }
    default:
        ck_abort_msg("unknown op %d", RV_OPS[row].op);
    }
}

START_TEST(test_functions)
{
    int seeded = 0;
    for (size_t row = 0; row < sizeof RV_OPS / sizeof RV_OPS[0]; row++) {
        if (RV_OPS[row].op < 0) {
            nv_seed(E, 1, RV_OPS[row].a);
            seeded++;
            continue;
        }
        replay((int)row);
    }
    ck_assert_int_eq(seeded, 2);
}
END_TEST

/* rand.string's whole range as Python draws it, but for U+D800 */
START_TEST(test_string_surrogate)
{
    static const nv_type *const sig[] = {&T_STR, &T_INT_, NULL};
    nv_val a[1] = {{.i = 40}};
    unsigned cp[40];
    nv_seed(E, 1, RV_SURROGATE_SEED);
    const nv_str *s = (const nv_str *)nvf_rand_string(E, sig, a).p;
    ck_assert(nv_utf8_valid(s->s, s->n));
    ck_assert_int_eq(code_points(s, cp, 40), 40);
    for (int i = 0; i < 40; i++)
        ck_assert_msg(cp[i] == RV_SURROGATE[i], "code point %d: %x, not %x", i, cp[i], RV_SURROGATE[i]);
}
END_TEST

/* gauss keeps the second deviate of a pair; a new seed forgets it */
START_TEST(test_gauss_pairs)
{
    static const nv_type *const sig[] = {&T_DBL, &T_DBL, &T_DBL, NULL};
    nv_val a[2] = {{.d = 0}, {.d = 1}};
    double first, x2pi, g2rad;
    nv_seed(E, 1, 12345);
    first = nvf_rand_gaussian(E, sig, a).d;
    nv_seed(E, 1, 12345);
    ck_assert(nvf_rand_gaussian(E, sig, a).d == first);
    /* the pair's second member is sin(2 pi u1) sqrt(-2 log(1 - u2)) */
    nv_seed(E, 1, 12345);
    x2pi = nv_rand_unit(E) * 6.283185307179586;
    g2rad = sqrt(-2.0 * log(1.0 - nv_rand_unit(E)));
    nv_seed(E, 1, 12345);
    ck_assert(nvf_rand_gaussian(E, sig, a).d == cos(x2pi) * g2rad);
    ck_assert(nvf_rand_gaussian(E, sig, a).d == sin(x2pi) * g2rad);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pfa_rand");
    TCase *tc = tcase_create("python");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_streams);
    tcase_add_test(tc, test_battery);
    tcase_add_test(tc, test_functions);
    tcase_add_test(tc, test_gauss_pairs);
    tcase_add_test(tc, test_string_surrogate);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
