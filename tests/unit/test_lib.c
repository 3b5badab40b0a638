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
#include <setjmp.h>
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

/* ---- special functions and distributions (special.c) ---- */
static double b_one(double x) { (void)x; return 1; }
static double b_two(double x) { (void)x; return 2; }
static double b_ten(double x) { (void)x; return 10; }
static double b_lgamma(double x) { (void)x; return 2; }
static double lgamma_k(double x) { return nv_lgamma(x); }
static double stirlerr_k(double x) { return nv_stirlerr(x); }
static double logpdf_k(double x) { return nv_normal_logpdf(x, 1, 2.5); }

/* rows of (arguments..., reference): the error of f in ulps, divided by
   1 + |ln reference| when scaled (the rounding of an exponent that large
   is in every result: the condition number of exp) */
typedef double (*rowfn)(const double *r);

static void check_rows(const char *name, const double *rows, int cols, size_t n, rowfn f, double bound, int scaled)
{
    for (size_t i = 0; i < n; i++) {
        const double *r = rows + i * (size_t)cols;
        double want = r[cols - 1], got = f(r), e;
        if (fabs(want) < 1e-300)
            continue;          /* subnormal results: no relative accuracy to speak of */
        e = ulps(got, want);
        if (scaled)
            e /= 1 + fabs(log(fabs(want)));
        ck_assert_msg(e <= bound, "%s row %zu (%.17g, %.17g, ...) = %.17g, want %.17g: %.3g%s ulps > %g", name, i,
                      r[0], r[1], got, want, e, scaled ? " scaled" : "", bound);
    }
}

#define ROWS(name, f, bound, scaled) \
    check_rows(#name, vec_##name[0], (int)(sizeof vec_##name[0] / sizeof(double)), \
               sizeof vec_##name / sizeof vec_##name[0], f, bound, scaled)

static double r_lbeta(const double *r) { return nv_lbeta(r[0], r[1]); }
static double r_gamma_p(const double *r) { return nv_gamma_pq(r[0], r[1], 0); }
static double r_gamma_q(const double *r) { return nv_gamma_pq(r[0], r[1], 1); }
static double r_ibeta(const double *r) { return nv_ibeta(r[0], r[1], r[2], 1 - r[2], 0); }
static double r_ibeta_upper(const double *r) { return nv_ibeta(r[0], r[1], r[2], 1 - r[2], 1); }
static double r_dpois(const double *r) { return nv_dpois_raw(r[0], r[1]); }
static double r_dbinom(const double *r) { return nv_dbinom2(r[0], r[1], r[2], 1 - r[2]); }
static double r_gamma_inv(const double *r) { return nv_gamma_pq_inv(r[0], r[1], 0); }
static double r_beta_inv(const double *r)
{
    double y, x = nv_ibeta_inv(r[0], r[1], r[2], 0, &y);
    ck_assert_msg(x + y == 1 || fabs(x + y - 1) <= 2 * DBL_EPSILON, "beta_inv: x + y = %.17g", x + y);
    return x;
}
static double r_t_cdf(const double *r) { return nv_t_cdf(r[0], r[1], 0); }
static double r_t_qf(const double *r) { return nv_t_qf(r[1], r[0]); }

START_TEST(test_special_functions)
{
    VECTORS(softplus, nv_softplus, b_two, 0);
    VECTORS(normal_logpdf, logpdf_k, b_two, 0);
    /* the bound in ulps holds where |lgamma| >= 0.01; near the zeros at 1
       and 2, an absolute bound */
    for (size_t i = 0; i < sizeof vec_lgamma / sizeof vec_lgamma[0]; i++) {
        double x = vec_lgamma[i][0], want = vec_lgamma[i][1], got = nv_lgamma(x);
        if (fabs(want) >= 0.01)
            ck_assert_msg(ulps(got, want) <= b_lgamma(x), "lgamma(%a): %.3g ulps", x, ulps(got, want));
        else
            ck_assert_msg(fabs(got - want) <= 1e-18, "lgamma(%a): off by %.3g", x, fabs(got - want));
    }
    (void)lgamma_k;
    VECTORS(stirlerr, stirlerr_k, b_ten, 0);
    for (size_t i = 0; i < sizeof vec_kolmogorov_q / sizeof vec_kolmogorov_q[0]; i++) {
        double z = vec_kolmogorov_q[i][0], want = vec_kolmogorov_q[i][1], got = nv_kolmogorov_q(z);
        ck_assert_msg(want >= 0.5 ? ulps(got, want) <= 2 : fabs(got - want) <= 1e-16, "kolmogorov_q(%a)", z);
    }
    ROWS(lbeta, r_lbeta, 16, 0);
    ROWS(gamma_p, r_gamma_p, 13, 1);
    ROWS(gamma_q, r_gamma_q, 13, 1);
    ROWS(ibeta, r_ibeta, 85, 1);
    ROWS(ibeta_upper, r_ibeta_upper, 85, 1);
    ROWS(dpois, r_dpois, 3, 1);
    ROWS(dbinom, r_dbinom, 3, 1);
    ROWS(gamma_inv, r_gamma_inv, 4, 1);
    ROWS(beta_inv, r_beta_inv, 6, 1);
    ROWS(t_cdf, r_t_cdf, 85, 1);
    ROWS(t_qf, r_t_qf, 175, 1);
    (void)b_one;
}
END_TEST

/* ---- activations, network layers, vector machines (kernels.c, models.c) ---- */
static int g_act;
static double act1(double x)
{
    nv_activate(g_act, &x, 1, 0.0, 0.0, 0);
    return x;
}
static double gauss_k(double x) { g_act = NV_ACT_GAUSS; return act1(x); }
static double elliott_k(double x) { g_act = NV_ACT_ELLIOTT; return act1(x); }
static double arctan_k(double x) { g_act = NV_ACT_ARCTAN; return act1(x); }
static double b_gauss(double x) { return 1 + 2 * x * x; }

START_TEST(test_activations)
{
    VECTORS(gauss, gauss_k, b_gauss, 0);
    VECTORS(elliott, elliott_k, b_two, 0);
    VECTORS(arctan_act, arctan_k, b_two, 0);
    /* the exact ones, at their edges: threshold is strictly above; the
       rectifier keeps NaN and makes -0 +0 (Java's Math.max), with a leakage
       it scales what is not above 0 */
    double v[6] = {0.5, 0.5000000000000001, -1, NAN, -0.0, 3};
    nv_activate(NV_ACT_THRESHOLD, v, 6, 0.5, 0, 0);
    ck_assert(v[0] == 0 && v[1] == 1 && v[2] == 0 && v[3] == 0 && v[4] == 0 && v[5] == 1);
    double r[5] = {-2, NAN, -0.0, 0.0, 3};
    nv_activate(NV_ACT_RECTIFIER, r, 5, 0, 0, 0);
    ck_assert(r[0] == 0 && r[1] != r[1] && r[2] == 0 && !signbit(r[2]) && r[4] == 3);
    double l[4] = {-2, NAN, -0.0, 3};
    nv_activate(NV_ACT_RECTIFIER, l, 4, 0, 0.25, 1);
    ck_assert(l[0] == -0.5 && l[1] != l[1] && l[2] == 0 && signbit(l[2]) && l[3] == 3);
    double q[4] = {2, -0.0, 0.25, -4};
    nv_activate(NV_ACT_RECIPROCAL, q, 1, 0, 0, 0);
    nv_activate(NV_ACT_SQUARE, q + 2, 2, 0, 0, 0);
    ck_assert(q[0] == 0.5 && q[2] == 0.0625 && q[3] == 16);
    nv_activate(NV_ACT_RECIPROCAL, q + 1, 1, 0, 0, 0);
    ck_assert(isinf(q[1]) && q[1] < 0);
    ck_assert(nv_relu(-0.0) == 0 && !signbit(nv_relu(-0.0)));
}
END_TEST

/* A network worked out by hand, twice: as dense layers and as connection
   lists, which must give the same bits.  Values: x0 = 1, x1 = -2; layer 1
   (identity, dense over x0, x1): h2 = 0.5 x0 + x1 + 0.25 = -1.25,
   h3 = -x0 + 0.5 x1 - 0 = -2 (no bias: -0.0); layer 2 (softmax, dense over
   h2, h3): o4 = h2 - h3 = 0.75, o5 = h3 = -2, softmax: e^0.75 / (e^0.75 +
   e^-2), e^-2 / (...). */
START_TEST(test_network)
{
    static const double w1[] = {0.5, -1, 1, 0.5};   /* source-major: x0 -> (h2, h3), x1 -> (h2, h3) */
    static const double b1[] = {0.25, -0.0};
    static const double w2[] = {1, 0, -1, 1};
    static const double b2[] = {-0.0, -0.0};
    nv_layer dense[2] = {
        {NV_ACT_IDENTITY, NV_LNORM_NONE, 2, 2, 1, 0, 2, w1, 0, 0, b1, 0, 0, 0, 0, 0},
        {NV_ACT_IDENTITY, NV_LNORM_SOFTMAX, 2, 4, 1, 2, 2, w2, 0, 0, b2, 0, 0, 0, 0, 0},
    };
    double v[6] = {1, -2};
    ck_assert_int_eq(nv_net(dense, 2, v), 0);
    ck_assert(v[2] == -1.25 && v[3] == -2);
    double e1 = exp(0.75 - 0.75), e2 = exp(-2 - 0.75);
    ck_assert(v[4] == e1 / (e1 + e2) && v[5] == e2 / (e1 + e2));
    /* the same as connection lists, in the neurons' order */
    static const int f1[] = {0, 1, 0, 1}, s1[] = {0, 2, 4};
    static const double c1[] = {0.5, 1, -1, 0.5};
    static const int f2[] = {2, 3, 2, 3}, s2[] = {0, 2, 4};
    static const double c2[] = {1, -1, 0, 1};
    nv_layer lists[2] = {
        {NV_ACT_IDENTITY, NV_LNORM_NONE, 2, 2, 0, 0, 0, c1, f1, s1, b1, 0, 0, 0, 0, 0},
        {NV_ACT_IDENTITY, NV_LNORM_SOFTMAX, 2, 4, 0, 0, 0, c2, f2, s2, b2, 0, 0, 0, 0, 0},
    };
    double u[6] = {1, -2};
    ck_assert_int_eq(nv_net(lists, 2, u), 0);
    ck_assert(memcmp(u, v, sizeof u) == 0);
    /* simplemax: each over the sum from the first; a zero sum has no result */
    static const double wz[] = {1, -1};
    static const double bz[] = {-0.0, -0.0};
    nv_layer sm = {NV_ACT_IDENTITY, NV_LNORM_SIMPLEMAX, 2, 1, 1, 0, 1, wz, 0, 0, bz, 0, 0, 0, 0, 0};
    double z[3] = {2};
    ck_assert_int_eq(nv_net(&sm, 1, z), -1);
    /* radialBasis: exp(sum (x - w)^2 / (-2 width^2) + k ln(altitude)):
       x = (1, -2), weights (0, 0), width 2, altitude 3: exp(-5/8 + 2 ln 3) */
    static const double wr[] = {0, 0};
    static const double wd[] = {2}, al[] = {3};
    nv_layer rb = {NV_ACT_RADIAL_BASIS, NV_LNORM_NONE, 1, 2, 1, 0, 2, wr, 0, 0, 0, wd, al, 0, 0, 0};
    double y[3] = {1, -2};
    ck_assert_int_eq(nv_net(&rb, 1, y), 0);
    ck_assert(y[2] == exp(5.0 / -8.0 + log(3.0) * 2));
}
END_TEST

/* A vector machine worked by hand: RBF kernel exp(-0.5 |x - v|^2), vectors
   a = (0, 0), b = (1, 1); machine 0: a - b + 0.5; machine 1: 2 b - 1 */
START_TEST(test_vector_machine)
{
    static const double vec[] = {0, 0, 1, 1};
    static const int start[] = {0, 2, 3}, idx[] = {0, 1, 1};
    static const double coef[] = {1, -1, 2}, b[] = {0.5, -1};
    nv_svm M = {NV_SVK_RBF, 0.5, 0, 0, 2, 2, vec, 2, start, idx, coef, b, 0};
    double x[2] = {1, 0}, out[2], out2[2], kk[2];
    nv_svm_eval(&M, x, kk, out);
    double ka = exp(-0.5 * 1), kb = exp(-0.5 * 1);
    ck_assert(out[0] == 0.0 + 1 * ka + -1 * kb + 0.5 && out[1] == 0.0 + 2 * kb + -1);
    nv_svm_eval(&M, x, 0, out2); /* without the cache: the same */
    ck_assert(memcmp(out, out2, sizeof out) == 0);
    /* one against all: least wins, first on ties, Double.compare's order */
    static const int cat[] = {0, 1, 2, 1};
    double val[4] = {0.5, 0.25, 0.25, -1}, per[3];
    ck_assert_int_eq(nv_svm_best(val, cat, 3, 3, 0, per), 1);
    ck_assert_int_eq(nv_svm_best(val, cat, 3, 3, 1, per), 0);
    ck_assert_int_eq(nv_svm_best(val, cat, 4, 3, 0, per), 1); /* the last machine of class 1 counts */
    ck_assert(per[1] == -1);
    double neg[2] = {-0.0, 0.0}, nan2[2] = {NAN, 1};
    static const int c01[] = {0, 1};
    ck_assert_int_eq(nv_svm_best(neg, c01, 2, 2, 0, per), 0);
    ck_assert_int_eq(nv_svm_best(nan2, c01, 2, 2, 0, per), 1);  /* NaN ranks above all */
    ck_assert_int_eq(nv_svm_best(nan2, c01, 2, 2, 1, per), 0);
    /* votes: A/B, A/C, B/C, each below its threshold for the first class;
       one vote each: the first voted for wins (B, voted by machine 0) */
    static const int vc[] = {0, 0, 1}, va[] = {1, 2, 2};
    static const double thr[] = {0, 0, 0};
    double v3[3] = {1, -1, 1}, prob[3];
    int first[3];
    /* machine 0: 1 >= 0: B; machine 1: A; machine 2: C */
    ck_assert_int_eq(nv_svm_vote(v3, vc, va, thr, 3, 3, 0, 0, prob, first), 1);
    ck_assert(prob[0] == 1.0 / 3 && prob[1] == 1.0 / 3 && prob[2] == 1.0 / 3);
    ck_assert_int_eq(nv_svm_vote(v3, vc, va, thr, 3, 3, 1, 0, prob, first), 0); /* maxWins: above */
    /* rounded values: 1 the class, 0 the alternate, else no result */
    double r1[1] = {0.5}, r0[1] = {NAN}, r2[1] = {1.5};
    ck_assert_int_eq(nv_svm_vote(r1, vc, va, thr, 1, 3, 0, 1, prob, first), 0);
    ck_assert_int_eq(nv_svm_vote(r0, vc, va, thr, 1, 3, 0, 1, prob, first), 1);
    ck_assert_int_eq(nv_svm_vote(r2, vc, va, thr, 1, 3, 0, 1, prob, first), -1);
    ck_assert(nv_dcompare(-0.0, 0.0) < 0 && nv_dcompare(NAN, INFINITY) > 0 && nv_dcompare(NAN, NAN) == 0);
}
END_TEST

/* within 8 ulps (a few roundings of a closed form) */
static int close(double got, double want)
{
    int ok = ulps(got, want) <= 8;
    if (!ok)
        fprintf(stderr, "got %.17g, want %.17g: %.3g ulps\n", got, want, ulps(got, want));
    return ok;
}

/* the distributions at points worked out by hand or closed forms, and the
   identities that tie them together: a quantile inverts its distribution
   function, densities sum (or integrate) to the distribution function */
START_TEST(test_distributions)
{
    double y, s;
    int k;
    /* binomial(4, 0.4): C(4,k) 0.4^k 0.6^(4-k) */
    ck_assert(close(nv_binomial_pdf(2, 4, 0.4), 6 * 0.16 * 0.36));
    ck_assert(close(nv_binomial_pdf(4, 4, 0.4), 0.0256));        /* the end of the support */
    ck_assert(close(nv_binomial_cdf(2.5, 4, 0.4, 0), 0.8208));
    ck_assert(nv_binomial_qf(0.3, 4, 0.4) == 1 && nv_binomial_qf(0.8208, 4, 0.4) == 2);
    /* Poisson(4) */
    ck_assert(close(nv_poisson_pdf(2, 4), 8 * exp(-4)));
    for (s = 0, k = 0; k <= 10; k++)
        s += nv_poisson_pdf(k, 4);
    ck_assert(close(nv_poisson_cdf(10, 4, 0), s));
    ck_assert(nv_poisson_qf(0.5, 4) == 4 && nv_poisson_qf(nv_poisson_cdf(6, 4, 0), 4) == 6);
    /* negative binomial(3, 0.5): C(k+2, k) 0.5^(3+k) */
    ck_assert(close(nv_negbin_pdf(2, 3, 0.5), 6.0 / 32));
    for (s = 0, k = 0; k <= 5; k++)
        s += nv_negbin_pdf(k, 3, 0.5);
    ck_assert(close(nv_negbin_cdf(5, 3, 0.5, 0), s));
    ck_assert(nv_negbin_qf(nv_negbin_cdf(4, 3, 0.5, 0), 3, 0.5) == 4);
    /* geometric(0.4): 0.4 0.6^k */
    ck_assert(close(nv_geometric_pdf(4, 0.4), 0.4 * 0.1296));
    ck_assert(close(nv_geometric_cdf(2, 0.4, 0), 0.784));
    ck_assert(nv_geometric_qf(0.5, 0.4) == 1 && nv_geometric_qf(0.8, 0.4) == 3);
    /* hypergeometric: 5 white, 5 black, 4 drawn: C(5,k) C(5,4-k) / C(10,4) */
    ck_assert(close(nv_hyper_pdf(2, 5, 5, 4), 100.0 / 210));
    ck_assert(close(nv_hyper_pdf(4, 5, 5, 4), 5.0 / 210));
    ck_assert(close(nv_hyper_cdf(1, 5, 5, 4, 0), 55.0 / 210));
    ck_assert(close(nv_hyper_cdf(3, 5, 5, 4, 0), 205.0 / 210));
    ck_assert(nv_hyper_pdf(4, 3, 5, 4) == 0 && nv_hyper_cdf(3, 3, 5, 4, 0) == 1);
    ck_assert(nv_hyper_qf(0.5, 5, 5, 4) == 2 && nv_hyper_qf(1, 3, 5, 4) == 3);
    /* beta(2, 3): 12 x (1-x)^2; I_x = 6x^2 - 8x^3 + 3x^4 */
    ck_assert(close(nv_beta_pdf(0.3, 2, 3), 12 * 0.3 * 0.49));
    ck_assert(close(nv_beta_cdf(0.3, 2, 3, 0), (6 * 0.09 - 8 * 0.027 + 3 * 0.0081)));
    ck_assert(fabs(nv_beta_qf(nv_beta_cdf(0.3, 2, 3, 0), 2, 3) - 0.3) < 1e-15);
    ck_assert(nv_beta_pdf(0, 0.5, 3) == HUGE_VAL && nv_beta_pdf(0, 1, 3) == 3 && nv_beta_pdf(1, 2, 3) == 0);
    ck_assert(close(nv_ibeta_inv(2, 3, 0.2, 1, &y), nv_beta_qf(0.8, 2, 3)));
    /* F(4, 10) and t(2) against closed forms / the t-F relation t^2 ~ F(1, n) */
    ck_assert(close(nv_t_cdf(1, 2, 0), (0.5 + 0.5 / sqrt(3))));
    ck_assert(close(nv_t_qf(0.975, 2), 4.3026527297494618)); /* (2p - 1)/sqrt(2p(1 - p)) */
    ck_assert(close(nv_f_cdf(4, 1, 7, 0), (1 - 2 * nv_t_cdf(-2, 7, 0))));
    ck_assert(fabs(nv_f_qf(nv_f_cdf(1.5, 4, 10, 0), 4, 10) - 1.5) < 1e-13);
    ck_assert(close(nv_f_pdf(1.5, 4, 10), 0.2682209014892578125)); /* mpmath */
    /* gamma and chi-square: chi2(2) is exponential(1/2) */
    ck_assert(close(nv_gamma_cdf(3, 1, 2, 0), (1 - exp(-1.5))));
    ck_assert(close(nv_gamma_pdf(3, 1, 2), 0.5 * exp(-1.5)));
    ck_assert(close(nv_gamma_qf(0.4, 3, 3), 6.8552307120101424)); /* mpmath */
    ck_assert(nv_gamma_pdf(0, 0.5, 1) == HUGE_VAL && nv_gamma_pdf(0, 1, 2) == 0.5 && nv_gamma_pdf(-1, 2, 2) == 0);
    /* Weibull, Cauchy, log-normal: closed forms */
    ck_assert(close(nv_weibull_cdf(4, 2, 4, 0), (1 - exp(-1))));
    ck_assert(fabs(nv_weibull_qf(1 - exp(-1), 2, 4) - 4) < 1e-14);
    ck_assert(close(nv_cauchy_cdf(7, 4, 3, 0), 0.75) && close(nv_cauchy_qf(0.75, 4, 3), 7));
    ck_assert(close(nv_cauchy_cdf(-1e300, 0, 1, 0), 1 / (3.14159265358979323846 * 1e300)));
    ck_assert(fabs(nv_lognormal_cdf(exp(2), 2, 1, 0) - 0.5) < 1e-15);
    ck_assert(close(nv_lognormal_qf(0.5, 2, 1), exp(2)));
    /* the discrete quantile inverts its distribution function at large
       parameters too */
    ck_assert(nv_poisson_qf(nv_poisson_cdf(1000000, 1e6, 0), 1e6) == 1000000);
    ck_assert(nv_binomial_qf(nv_binomial_cdf(499000, 1e6, 0.5, 0), 1e6, 0.5) == 499000);
}
END_TEST

/* ---- linear algebra (linalg.c): worked examples and the defining
   properties (A A^-1 = I, A v = lambda v, the Moore-Penrose conditions,
   L L^T = A) on matrices with a known answer ---- */
static double mat_err(const double *a, const double *b, int64_t n)
{
    double e = 0;
    for (int64_t i = 0; i < n; i++)
        e = fmax(e, fabs(a[i] - b[i]));
    return e;
}

static void mat_mul(const double *a, const double *b, double *c, int64_t m, int64_t k, int64_t n)
{
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = 0;
            for (int64_t q = 0; q < k; q++)
                s += a[i * k + q] * b[q * n + j];
            c[i * n + j] = s;
        }
}

START_TEST(test_linalg)
{
    int64_t perm[4];
    double tmp[8], inv[16], prod[16];
    /* det [[1,2,3],[4,-5,6],[7,8,9]] = 120 (by cofactors) */
    double a3[9] = {1, 2, 3, 4, -5, 6, 7, 8, 9}, c3[9];
    memcpy(c3, a3, sizeof a3);
    ck_assert(fabs(nv_det(c3, 3, perm, NULL) - 120) < 1e-12);
    double sing[4] = {1, 2, 2, 4};
    ck_assert(nv_det(sing, 2, perm, NULL) == 0);
    /* the inverse: A A^-1 = I */
    double id3[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    memcpy(c3, a3, sizeof a3);
    ck_assert_int_eq(nv_inverse(c3, 3, inv, perm, tmp, NULL), 0);
    mat_mul(a3, inv, prod, 3, 3, 3);
    ck_assert(mat_err(prod, id3, 9) < 1e-14);
    double sing2[4] = {1, 2, 2, 4};
    ck_assert_int_eq(nv_inverse(sing2, 2, inv, perm, tmp, NULL), -1);
    /* symmetric eigenproblem: [[2,1],[1,2]] has 3 and 1, eigenvectors
       (1,1)/sqrt2 and (1,-1)/sqrt2; a 4x4 checked by A V = V diag(w) */
    double s2[4] = {2, 1, 1, 2}, w[4], v[16];
    nv_sym_eigen(s2, 2, w, v, NULL);
    ck_assert(fabs(fmax(w[0], w[1]) - 3) < 1e-15 && fabs(fmin(w[0], w[1]) - 1) < 1e-15);
    ck_assert(fabs(fabs(v[0]) - sqrt(0.5)) < 1e-15 && fabs(fabs(v[2]) - sqrt(0.5)) < 1e-15);
    double s4[16] = {4, 1, -2, 2, 1, 2, 0, 1, -2, 0, 3, -2, 2, 1, -2, -1}, s4c[16], av[16], vw[16];
    memcpy(s4c, s4, sizeof s4);
    nv_sym_eigen(s4c, 4, w, v, NULL);
    mat_mul(s4, v, av, 4, 4, 4);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            vw[i * 4 + j] = v[i * 4 + j] * w[j];
    ck_assert(mat_err(av, vw, 16) < 1e-13);
    ck_assert(fabs(w[0] + w[1] + w[2] + w[3] - 8) < 1e-13);      /* the trace */
    /* scaled by 2^+-900 (squares out of range): the same eigenvalues, scaled */
    for (int sc = -1; sc <= 1; sc += 2) {
        double big[16], wb[4], vb[16];
        for (int i = 0; i < 16; i++)
            big[i] = ldexp(s4[i], sc * 900);
        nv_sym_eigen(big, 4, wb, vb, NULL);
        for (int i = 0; i < 4; i++)
            ck_assert(wb[i] == ldexp(w[i], sc * 900) && mat_err(vb, v, 16) == 0);
    }
    /* the pseudoinverse of a 3x2: P A P = P and A P A = A */
    double t32[6] = {1, 2, 3, 4, 5, 6}, t32c[6], p23[6], ap[9], apa[6], pa[4], pap[6], sv[2], vv[4];
    memcpy(t32c, t32, sizeof t32);
    nv_pinv_tall(t32c, 3, 2, p23, vv, sv, NULL);
    mat_mul(t32, p23, ap, 3, 2, 3);
    mat_mul(ap, t32, apa, 3, 3, 2);
    ck_assert(mat_err(apa, t32, 6) < 1e-13);
    mat_mul(p23, t32, pa, 2, 3, 2);
    mat_mul(pa, p23, pap, 2, 2, 3);
    ck_assert(mat_err(pap, p23, 6) < 1e-13);
    /* it is (A^T A)^-1 A^T here: [[-4/3, -1/3, 2/3], [13/12, 1/3, -5/12]] */
    double want[6] = {-4.0 / 3, -1.0 / 3, 2.0 / 3, 13.0 / 12, 1.0 / 3, -5.0 / 12};
    ck_assert(mat_err(p23, want, 6) < 1e-13);
    /* scaled by 2^+-900: the pseudoinverse scaled by 2^-+900 */
    for (int sc = -1; sc <= 1; sc += 2) {
        double big[6], pb[6];
        for (int i = 0; i < 6; i++)
            big[i] = ldexp(t32[i], sc * 900);
        nv_pinv_tall(big, 3, 2, pb, vv, sv, NULL);
        for (int i = 0; i < 6; i++)
            ck_assert(pb[i] == ldexp(p23[i], -sc * 900));
    }
    /* Cholesky: L L^T = A; not positive definite: -1 */
    double pd[9] = {4, 2, 2, 2, 5, 3, 2, 3, 6}, l[9], lt[9], llt[9];
    memcpy(l, pd, sizeof pd);
    ck_assert_int_eq(nv_cholesky(l, 3, NULL), 0);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            lt[i * 3 + j] = l[j * 3 + i];
    mat_mul(l, lt, llt, 3, 3, 3);
    ck_assert(mat_err(llt, pd, 9) < 1e-14);
    double npd[4] = {1, 2, 2, 1};
    ck_assert_int_eq(nv_cholesky(npd, 2, NULL), -1);
}
END_TEST

/* the poll: once per outer step from order 32, never below; a poll that
   does not return (an engine's timeout) leaves nothing to free */
static int polls;
static jmp_buf poll_jb;
static void count_poll(void *ctx)
{
    (void)ctx;
    polls++;
}
static void stop_poll(void *ctx)
{
    if (++polls == *(int *)ctx)
        longjmp(poll_jb, 1);
}

START_TEST(test_linalg_poll)
{
    enum { N = 40 };
    static double a[N * N], c[N * N], out[N * N], w[N], v[N * N], s[N], tmp[2 * N];
    int64_t perm[N];
    nv_poll poll = {count_poll, NULL};
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            a[i * N + j] = i == j ? N : 1.0 / (1 + i + j);
    memcpy(c, a, sizeof a);
    polls = 0;
    ck_assert_int_eq(nv_inverse(c, N, out, perm, tmp, &poll), 0);
    ck_assert_int_eq(polls, 2 * N);                 /* N for LU, N for the columns */
    memcpy(c, a, sizeof a);
    polls = 0;
    ck_assert_int_eq(nv_cholesky(c, N, &poll), 0);
    ck_assert_int_eq(polls, N);
    memcpy(c, a, sizeof a);
    polls = 0;
    nv_sym_eigen(c, N, w, v, &poll);
    ck_assert(polls >= N && polls % N == 0);        /* N per sweep */
    memcpy(c, a, sizeof a);
    polls = 0;
    nv_pinv_tall(c, N, N, out, v, s, &poll);
    ck_assert(polls >= 2 * N && polls % N == 0);    /* N per sweep, N for the product */
    memcpy(c, a, 9 * sizeof(double));
    polls = 0;
    ck_assert(nv_det(c, 3, perm, &poll) != 0);
    ck_assert_int_eq(polls, 0);                     /* small: no polls */
    {
        int stop = 7;
        nv_poll halt = {stop_poll, &stop};
        memcpy(c, a, sizeof a);
        polls = 0;
        if (setjmp(poll_jb) == 0) {
            nv_sym_eigen(c, N, w, v, &halt);
            ck_abort_msg("the poll did not stop the kernel");
        }
        ck_assert_int_eq(polls, 7);
    }
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
    {
        /* strcmp's order: prefixes, and bytes above 127 after ASCII */
        static const char *const e[] = {"Ma", "Mal", "Male", "Males", "Mb", "Z", "a", "\xc3\x89t\xc3\xa9", "\xff"};
        static const char *const absent[] = {"M", "Mald", "Malez", "Mc", "\xc3", "\xc3\x89t", "\xfe", "\xff\x01", "b"};
        int n = (int)(sizeof e / sizeof e[0]), i;
        for (i = 0; i + 1 < n; i++)
            ck_assert_int_lt(strcmp(e[i], e[i + 1]), 0);
        for (i = 0; i < n; i++)
            ck_assert_int_eq(nv_intern(e[i], e, n), i);
        for (i = 0; i < (int)(sizeof absent / sizeof absent[0]); i++)
            ck_assert_int_eq(nv_intern(absent[i], e, n), -1);
    }
    char buf[4096];
    nv_scratch S = {buf, 0, sizeof buf, 0};
    static const char *const ws[] = {"quick"};
    static const nv_trule rules[] = {{1, ws, 1, NULL, "fast", 0}};
    static const nv_tnorm norms[] = {{rules, 1, 0}};
    nv_tix tix = {0, NULL, 0, 0, 0, 0, norms, 1};
    nv_tcache c;
    memset(&c, 0, sizeof c);
    const char *text = "The quick fox, the FAST fox!";
    ck_assert(nv_tf(&S, &tix, &c, text, "fast") == 2);
    ck_assert(nv_tf(&S, &tix, &c, text, "fox") == 2);
    ck_assert(nv_tf(&S, &tix, &c, text, "the fast fox") == 2);
    ck_assert(nv_tf(&S, &tix, &c, text, "quick") == 0);
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

/* A flat tree (the library's defaults: float values, two children), its
   entries from 1 in the forest's table (entry 0 is the null leaf): the
   root sends x < 1.5 to entry 2 (node 1), x >= 1.5 to entry 3, which sends
   y < 0 to entry 4 (node 3) and y >= 0 to entry 5 (node 4).  x missing goes
   to the first child (X[0] reads -inf), y missing to the second (X[3]
   reads +inf).  A NaN x goes to entry 6 (null), a NaN y to 7 (node 2).
   The same tree with sums: its leaves' t name rows of values (nodes 1 and
   4 share row 1; row 0 is null's), R their nodes. */
static uint32_t float_bits(float x)
{
    uint32_t b;
    memcpy(&b, &x, 4);
    return b;
}

static void flat_bytes(unsigned char *T, const uint32_t *t, const unsigned *f, const int *d, int n)
{
    for (int e = 0; e < n; e++) {
        uint32_t tb = t[e];
        for (int k = 0; k < 4; k++)
            T[8 * e + k] = (unsigned char)(tb >> (8 * k));
        T[8 * e + 4] = (unsigned char)f[e], T[8 * e + 5] = (unsigned char)(f[e] >> 8);
        T[8 * e + 6] = (unsigned char)((d[e] + 0x8000) & 0xff), T[8 * e + 7] = (unsigned char)((d[e] + 0x8000) >> 8);
    }
}

START_TEST(test_flat_walk)
{
    static const unsigned f[] = {4, 0, 4, 3, 4, 4, 4, 4};
    static const int d[] = {0, 1, 0, 1, 0, 0, 0, 0};
    /* without sums a leaf's t is the node it selects + 2; with, a NaN whose
       payload is its row + 1 */
    static const float tres[] = {1.0f, 1.5f, 3.0f, 0.0f, 5.0f, 6.0f, 1.0f, 4.0f};
    const uint32_t tres_b[] = {float_bits(tres[0]), float_bits(tres[1]), float_bits(tres[2]), float_bits(tres[3]),
                               float_bits(tres[4]), float_bits(tres[5]), float_bits(tres[6]), float_bits(tres[7])};
    const uint32_t tsum_b[] = {0x7f800001u, float_bits(1.5f), 0x7f800002u, float_bits(0.0f),
                               0x7f800003u, 0x7f800002u, 0x7f800001u, 0x7f800004u};
    static const nv_fs rows[] = {NAN, 10, 30, 20};
    static const int Ni[] = {0, 6, 0, 7, 0, 0, 0, 0}, Ri[] = {-1, -1, 1, -1, 3, 4, -1, 2};
    unsigned char N[4 * 8], R[4 * 8]; /* ints as bytes, little-endian (nv_fint) */
    for (int e = 0; e < 8; e++)
        for (int k = 0; k < 4; k++) {
            N[4 * e + k] = (unsigned char)((uint32_t)Ni[e] >> (8 * k));
            R[4 * e + k] = (unsigned char)((uint32_t)Ri[e] >> (8 * k));
        }
    /* as the backend writes them: bytes, little-endian (t's bits, f, d + 0x8000; V's bits) */
    unsigned char T[8 * 8], TS[8 * 8], VB[8 * 4];
    flat_bytes(T, tres_b, f, d, 8);
    flat_bytes(TS, tsum_b, f, d, 8);
    for (int r = 0; r < 4; r++) {
        uint64_t vb;
        memcpy(&vb, &rows[r], 8);
        for (int k = 0; k < 8; k++)
            VB[8 * r + k] = (unsigned char)(vb >> (8 * k));
    }
    /* a forest's trees share its tables (here one tree three times) */
    const nv_ftree F[] = {{T, 0, 0, N, 0, 1, 2, 2}, {T, 0, 0, N, 0, 1, 2, 2}, {T, 0, 0, N, 0, 1, 2, 2}};
    const nv_ftree FS[] = {{TS, 0, VB, N, R, 1, 2, 2}, {TS, 0, VB, N, R, 1, 2, 2}, {TS, 0, VB, N, R, 1, 2, 2}};
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
        nv_frec rec = {x, 0, 0};
        int r3[3], s3[3];
        nv_fexact(F, 3, &rec, r3);
        nv_fexact(FS, 3, &rec, s3);
        for (int t = 0; t < 3; t++)
            ck_assert(r3[t] == cases[i].node && s3[t] == cases[i].node);
        if (cases[i].x != cases[i].x || cases[i].y != cases[i].y)
            continue; /* NaN: nv_fexact's alone */
        nv_fres(F, 3, &rec, r3);
        nv_fres(FS, 3, &rec, s3);
        for (int t = 0; t < 3; t++)
            ck_assert(r3[t] == cases[i].node && s3[t] == cases[i].node);
        nv_fs sum = 1;
        nv_fsum(FS, 3, &rec, &sum, 1, at);
        ck_assert(sum == 1 + 3 * rows[r3[1] == 3 ? 2 : 1]);
    }
    ck_assert_int_eq(nv_frank((const double[]){1, 2, 4}, 3, 0.5), 0);
    ck_assert_int_eq(nv_frank((const double[]){1, 2, 4}, 3, 2), 2);
    ck_assert_int_eq(nv_frank((const double[]){1, 2, 4}, 3, 9), 3);
    /* a block of 13 rows (cases 0-4 over and over): a lane group of 8, then
       the rest one by one */
    nv_ft XB[13 * 5];
    nv_frec b = {XB, 0, 0};
    for (int r = 0; r < 13; r++) {
        memcpy(XB + 5 * r, X + 5 * (r % 5), 5 * sizeof(nv_ft));
        acc[r] = 0;
    }
    nv_fblock(FS, 3, &b, 5, 13, acc, 1, 0);
    nv_fblock(F, 3, &b, 5, 13, 0, 0, res);
    for (int r = 0; r < 13; r++) {
        for (int t = 0; t < 3; t++)
            ck_assert_int_eq(res[3 * r + t], cases[r % 5].node);
        ck_assert(acc[r] == 3 * rows[cases[r % 5].node == 3 ? 2 : 1]);
    }
}
END_TEST

/* the comparison measures of clustering and k-NN (families.c) on the
   shared metric arithmetic (kernels.c): hand-computed values */
START_TEST(test_metrics)
{
    /* the running forms: euclid sqrt(3^2 + 4^2) = 5; weighted (c^2 w) */
    double t = nv_metric_add(NV_EUCLID, 0, 3, 1, 0);
    t = nv_metric_add(NV_EUCLID, t, 4, 1, 0);
    ck_assert(nv_metric_end(NV_EUCLID, t, 0) == 5);
    ck_assert(nv_metric_add(NV_SQEUCLID, 1, 3, 2, 0) == 19);
    ck_assert(nv_metric_add(NV_CHEBYSHEV, 2, 3, 0.5, 0) == 2 && nv_metric_add(NV_CHEBYSHEV, 2, 3, 1, 0) == 3);
    ck_assert(nv_metric_add(NV_CITYBLOCK, 1, 3, 2, 0) == 7);
    ck_assert(nv_metric_end(NV_MINKOWSKI, nv_metric_add(NV_MINKOWSKI, 0, 2, 1, 3), 3) == 2);
    /* exp(-ln 2 (1 - 0)^2 / 1) = 1/2, exactly representable */
    ck_assert(nv_gauss_sim(1, 0, 1) == 0.5 && nv_gauss_sim(2, 2, 5) == 1);
}
END_TEST

START_TEST(test_measures)
{
    const nv_mfield f3[3] = {{NV_CF_ABS_DIFF, 2, 0, 1, 0, 0}, {NV_CF_DELTA, 1, 0, 3, 0, 0},
                             {NV_CF_EQUAL, 1, 0, 1, 0, 0}};
    nv_measure m = {NV_SQEUCLID, 0, {0, 0, 0, 0}, {0, 0, 0, 0}, 3, f3, 0};
    double x[3] = {1, 5, 7}, row[3] = {4, 5, 8};
    /* 2 * 3^2 + 1 * 0 + 1 * 0 (equal: 7 vs 8 gives 0) */
    ck_assert(nv_measure_row(&m, x, nv_measure_adjust(&m, x), row) == 18);
    /* the second field missing: the adjustment (1 + 3 + 1) / (1 + 1) */
    x[1] = NAN;
    ck_assert(nv_measure_adjust(&m, x) == 2.5);
    ck_assert(nv_measure_row(&m, x, 2.5, row) == 45);
    x[0] = x[2] = NAN;
    ck_assert(isnan(nv_measure_adjust(&m, x)));
    /* a table: matrix[x][y] of a 2 x 2 matrix; a code outside it is undefined */
    static const double mat[4] = {0, 0.25, 0.25, 0};
    const nv_mfield ft[1] = {{NV_CF_TABLE, 1, 0, 1, 2, mat}};
    nv_measure mt = {NV_CITYBLOCK, 0, {0, 0, 0, 0}, {0, 0, 0, 0}, 1, ft, 0};
    double a[1] = {0}, b[1] = {1}, c[1] = {-1};
    ck_assert(nv_measure_row(&mt, a, 1, b) == 0.25 && isnan(nv_measure_row(&mt, c, 1, b)));
    /* similarities: 1101 against 1100: a11 2, a10 1, a01 0, a00 1 */
    const nv_mfield fb[4] = {{0, 1, 0, 1, 0, 0}, {0, 1, 0, 1, 0, 0}, {0, 1, 0, 1, 0, 0}, {0, 1, 0, 1, 0, 0}};
    nv_measure sm = {NV_BINSIM, 0, {1, 0, 0, 1}, {1, 1, 1, 1}, 4, fb, 0};
    nv_measure tn = {NV_BINSIM, 0, {1, 0, 0, 1}, {1, 2, 2, 1}, 4, fb, 0};
    double p[4] = {1, 1, 0, 1}, q[4] = {1, 1, 0, 0}, bad[4] = {2, 1, 0, 0};
    ck_assert(nv_measure_row(&sm, p, 1, q) == 0.75 && nv_measure_row(&tn, p, 1, q) == 0.6);
    ck_assert(isnan(nv_measure_row(&sm, bad, 1, q)));
    /* nearest: ties keep row order, undefined rows are left out, -1 past the end */
    const nv_mfield f1[1] = {{NV_CF_ABS_DIFF, 1, 0, 1, 0, 0}};
    nv_measure d1 = {NV_CITYBLOCK, 0, {0, 0, 0, 0}, {0, 0, 0, 0}, 1, f1, 0};
    nv_measure d1f = {NV_CITYBLOCK, 0, {0, 0, 0, 0}, {0, 0, 0, 0}, 1, f1, 1};
    double rows[5] = {4, 1, NAN, 3, 1}, r1[1] = {2}, val[4];
    int idx[4];
    nv_nearest(&d1, r1, rows, 5, 4, idx, val);
    ck_assert(idx[0] == 1 && idx[1] == 3 && idx[2] == 4 && idx[3] == 0);
    ck_assert(val[0] == 1 && val[1] == 1 && val[2] == 1 && val[3] == 2);
    nv_nearest(&d1, r1, rows, 2, 4, idx, val);
    ck_assert(idx[0] == 1 && idx[1] == 0 && idx[2] == -1 && isnan(val[3]));
    /* the fast path of absDiff fields gives the same */
    nv_nearest(&d1f, r1, rows, 5, 4, idx, val);
    ck_assert(idx[0] == 1 && idx[1] == 3 && idx[2] == 4 && idx[3] == 0 && val[3] == 2);
    /* similarities: the greatest first */
    double srows[8] = {1, 1, 0, 0, 1, 1, 0, 1};
    nv_nearest(&sm, p, srows, 2, 2, idx, val);
    ck_assert(idx[0] == 1 && val[0] == 1 && idx[1] == 0);
}
END_TEST

/* The fast path of nv_nearest (absDiff fields, every field present; for
   euclid a row is left out by its squared sum before its root is taken)
   keeps the rows the general path keeps, in its order, to the bit. */
START_TEST(test_nearest_fast_path)
{
    /* equal roots of unequal sums: 1 + 2^-52 and 1 both have the root 1;
       the earlier row wins, whichever sum is smaller */
    const nv_mfield f2[2] = {{NV_CF_ABS_DIFF, 1, 0, 1, 0, 0}, {NV_CF_ABS_DIFF, 1, 0, 1, 0, 0}};
    nv_measure eu = {NV_EUCLID, 0, {0, 0, 0, 0}, {0, 0, 0, 0}, 2, f2, 1};
    double z[2] = {0, 0}, tie[4] = {1, 0x1p-26, 1, 0}, val[4];
    int idx[4];
    nv_nearest(&eu, z, tie, 2, 1, idx, val);
    ck_assert(idx[0] == 0 && val[0] == 1);
    double tie2[4] = {1, 0, 1, 0x1p-26};
    nv_nearest(&eu, z, tie2, 2, 1, idx, val);
    ck_assert(idx[0] == 0 && val[0] == 1);
    /* random rows: every kind of fast path against the general one */
    enum { NR = 500, NF = 5 };
    static double rows[NR * NF];
    unsigned long long st = 12345;
    for (int i = 0; i < NR * NF; i++) {
        st = st * 6364136223846793005ULL + 1442695040888963407ULL;
        rows[i] = (double)(st >> 40) / (double)(1ULL << 24) * 4 - 2;
        if (i % 7 == 3)
            rows[i] = rows[i - 1]; /* repeated values: ties */
    }
    nv_mfield fu[NF], fw[NF];
    for (int f = 0; f < NF; f++) {
        fu[f] = (nv_mfield){NV_CF_ABS_DIFF, 1, 0, 1, 0, 0};
        fw[f] = (nv_mfield){NV_CF_ABS_DIFF, 0.5 + f, 0, 1, 0, 0};
    }
    int kinds[3] = {NV_EUCLID, NV_SQEUCLID, NV_CITYBLOCK};
    for (int kd = 0; kd < 3; kd++)
        for (int w = 0; w < 2; w++)
            for (int q = 0; q < 20; q++) {
                nv_measure fast = {kinds[kd], 0, {0, 0, 0, 0}, {0, 0, 0, 0}, NF, w ? fw : fu, 1};
                nv_measure slow = fast;
                slow.absdiff = 0;
                const double *x = rows + (size_t)(q * 13 % NR) * NF; /* a record equal to a row */
                int ia[7], ib[7];
                double va[7], vb[7];
                nv_nearest(&fast, x, rows, NR, 7, ia, va);
                nv_nearest(&slow, x, rows, NR, 7, ib, vb);
                ck_assert(memcmp(ia, ib, sizeof ia) == 0 && memcmp(va, vb, sizeof va) == 0);
            }
}
END_TEST

START_TEST(test_votes_ranks)
{
    /* labels 0 1 1 2: 1 wins by count */
    double lab[4] = {0, 1, 1, 2}, one[4] = {1, 1, 1, 1}, cnt[4] = {5, 1, 1, 3}, ord[4] = {2, 0, 0, 1};
    ck_assert(nv_vote(lab, one, cnt, ord, 4) == 1);
    /* a tie of 0 and 2 (one vote each): more training instances, 0 (5) */
    double l2[2] = {0, 2}, c2[2] = {5, 3}, o2[2] = {2, 1};
    ck_assert(nv_vote(l2, one, c2, o2, 2) == 0);
    /* equal counts too: the smaller order, 2 (order 1) */
    double c3[2] = {3, 3};
    ck_assert(nv_vote(l2, one, c3, o2, 2) == 2);
    /* weighted: label 2's 0.75 beats label 0's 0.5 */
    double w[2] = {0.5, 0.75};
    ck_assert(nv_vote(l2, w, c2, o2, 2) == 2 && nv_vote(l2, w, c2, o2, 0) == -1);
    /* JPMML's median: a + (b - a) / 2 of the middle two */
    double m4[4] = {34, 10, 30, 14}, m3[3] = {3, 1, 2};
    ck_assert(nv_percentile_median(m4, 4) == 22 && nv_percentile_median(m3, 3) == 2);
    ck_assert(isnan(nv_percentile_median(m3, 0)));
    /* ranks: greatest first, NaN left out, ties by key then position */
    double v[5] = {2, NAN, 5, 2, 2}, key[5] = {1, 0, 9, 0, 0};
    ck_assert(nv_rank_desc(v, key, 5, 1) == 2 && nv_rank_desc(v, key, 5, 2) == 3);
    ck_assert(nv_rank_desc(v, key, 5, 3) == 4 && nv_rank_desc(v, key, 5, 4) == 0);
    ck_assert(nv_rank_desc(v, key, 5, 5) == -1);
}
END_TEST

START_TEST(test_association)
{
    /* items a b c (values sorted: a b c), itemsets {a} {b} {a,b} {c};
       rules {a}->{b}, {a,b}->{c}, {c}->{a} */
    static const char *const values[3] = {"a", "b", "c"};
    static const int item[3] = {0, 1, 2}, starts[5] = {0, 1, 2, 4, 5}, sets[5] = {0, 1, 0, 1, 2};
    static const int rules[6] = {0, 1, 2, 3, 3, 0};
    nv_assoc as = {3, values, item, 4, starts, sets, 3, rules};
    static const char *const t1[3] = {"b", "a", NULL}, *const none[1] = {NULL};
    unsigned char present[3];
    double conf[3] = {0.5, 0.75, 0.6};
    nv_assoc_present(&as, t1, present);
    ck_assert(present[0] && present[1] && !present[2]);
    /* recommendation: rules 0 and 1 (antecedents present), by confidence 1 then 0 */
    ck_assert(nv_assoc_rule(&as, present, 0, conf, 1, 1) == 1 && nv_assoc_rule(&as, present, 0, conf, 1, 2) == 0);
    ck_assert(nv_assoc_rule(&as, present, 0, conf, 1, 3) == -1 && nv_assoc_rule(&as, present, 0, conf, 0, 1) == 0);
    /* exclusive: rule 0's consequent b is present: only rule 1 */
    ck_assert(nv_assoc_rule(&as, present, 1, conf, 1, 1) == 1 && nv_assoc_rule(&as, present, 1, conf, 1, 2) == -1);
    /* rule association: both present: rule 0 */
    ck_assert(nv_assoc_rule(&as, present, 2, conf, 1, 1) == 0);
    nv_assoc_present(&as, none, present);
    ck_assert(nv_assoc_rule(&as, present, 0, conf, 1, 1) == -1);
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
    tcase_add_test(k, test_special_functions);
    tcase_add_test(k, test_distributions);
    tcase_add_test(k, test_linalg);
    tcase_add_test(k, test_linalg_poll);
    tcase_add_test(k, test_activations);
    tcase_add_test(k, test_network);
    tcase_add_test(k, test_vector_machine);
    suite_add_tcase(s, k);
    TCase *t = tcase_create("text");
    tcase_add_test(t, test_strings);
    tcase_add_test(t, test_intern_and_text_index);
    suite_add_tcase(s, t);
    TCase *f = tcase_create("families");
    tcase_add_test(f, test_metrics);
    tcase_add_test(f, test_measures);
    tcase_add_test(f, test_nearest_fast_path);
    tcase_add_test(f, test_votes_ranks);
    tcase_add_test(f, test_association);
    suite_add_tcase(s, f);
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
