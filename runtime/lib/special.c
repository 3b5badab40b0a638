/* special.c -- special functions and probability distributions that PMML
 * models and PFA functions share: the log-gamma and log-beta functions, the
 * regularized incomplete gamma and beta functions and their inverses, and
 * on them the densities, distribution functions and quantiles of the usual
 * distributions (PFA's prob.dist, m.special, stat.test; PMML's baseline
 * and naive Bayes distributions call the same).
 *
 * Why written here rather than taken from libm: the C library has no
 * incomplete gamma or beta function, and its lgamma writes the global
 * signgam, so engines on several threads would race on it.  The methods
 * are the classical ones, chosen for accuracy over the whole range:
 *   - log-gamma: a Taylor series around 2 for arguments near the zeros at 1
 *     and 2, a short recurrence into it below 10, Stirling's series above;
 *   - densities: Loader's saddle-point form (the Stirling error of each
 *     factorial and the deviance bd0 computed without cancellation), which
 *     keeps binomial, Poisson, gamma and beta densities accurate when their
 *     arguments are large;
 *   - incomplete gamma: the power series below a + 1, Legendre's continued
 *     fraction above; incomplete beta: the continued fraction of the
 *     smaller tail; both with the density prefix above;
 *   - inverses: Halley's method from the Wilson-Hilferty (gamma) or
 *     Cornish-Fisher style (beta) first guess, safeguarded by bisection;
 *     discrete quantiles by a galloping search on the distribution function.
 * Each function states its accuracy, measured against mpmath over the
 * vectors of tests/unit/lib_vectors.h (tools/gen_lib_vectors.py) by
 * tests/unit/test_lib.c.  "ulps" are units in the last place of the true
 * value.  Parameters are assumed valid (the callers check domains and
 * raise their own errors); every function is pure, with no state. */

/*@ section kernel_gamma needs prelude kernel_normal */
#define NV_HALF_LOG_2PI 0.91893853320467274178   /* log(2 pi) / 2 */
#define NV_LOG_2PI 1.8378770664093454836
#define NV_EULER 0.57721566490153286061

/* log Gamma(2 + z) for |z| <= 0.5: its Taylor series, whose coefficients
   are (-1)^k (zeta(k) - 1) / k (computed with mpmath). */
NV_RT double nv_lgamma2(double z)
{
    static const double c[] = {0.3224670334241132, -0.0673523010531981, 0.020580808427784546,
        -0.007385551028673986, 0.0028905103307415234, -0.001192753911703261, 0.0005096695247430425,
        -0.00022315475845357939, 9.945751278180853e-05, -4.492623673813314e-05, 2.050721277567069e-05,
        -9.439488275268397e-06, 4.374866789907488e-06, -2.039215753801366e-06, 9.55141213040742e-07,
        -4.492469198764566e-07, 2.1207184805554665e-07, -1.0043224823968099e-07, 4.7698101693639804e-08,
        -2.2711094608943164e-08, 1.0838659214896955e-08, -5.183475041970047e-09, 2.4836745438024785e-09,
        -1.1921401405860912e-09, 5.731367241678862e-10, -2.7595228851242334e-10, 1.330476437424449e-10,
        -6.4229645638381e-11, 3.1044247747322276e-11};
    double s = 0;
    int k;
    for (k = (int)(sizeof c / sizeof c[0]) - 1; k >= 0; k--)
        s = s * z + c[k];
    return z * (0.42278433509846713 + z * s);
}

/* The Stirling series of log Gamma(x) - ((x - 1/2) log x - x + log(2 pi)/2),
   for x >= 10 (eight terms: the first omitted one is below 1e-19). */
NV_RT double nv_lgamma_corr(double x)
{
    double r = 1 / x, r2 = r * r;
    return r * (1.0 / 12 + r2 * (-1.0 / 360 + r2 * (1.0 / 1260 + r2 * (-1.0 / 1680 + r2 * (1.0 / 1188
           + r2 * (-691.0 / 360360 + r2 * (1.0 / 156 + r2 * (-3617.0 / 122400))))))));
}

/* log Gamma(x) for x > 0 (NaN for x <= 0 or NaN; +inf for +inf).
   At most 2 ulps over (1e-20, 1e300] where |log Gamma(x)| >= 0.01, and at
   most 1e-18 absolute near its zeros at 1 and 2 (measured). */
NV_RT double nv_lgamma(double x)
{
    double z, p;
    if (!(x > 0))
        return NAN;
    if (x >= 10) {
        if (x > 1e300)
            return HUGE_VAL;
        return (x - 0.5) * (log(x) - 1) - 0.5 + NV_HALF_LOG_2PI + nv_lgamma_corr(x);
    }
    if (x < 1e-17)
        return -log(x) - NV_EULER * x;
    if (x < 0.5) /* Gamma(x) = Gamma(2 + x) / (x (1 + x)) */
        return nv_lgamma2(x) - log1p(x) - log(x);
    if (x < 1.5) /* x - 1 is exact here */
        return nv_lgamma2(x - 1) - log(x);
    if (x <= 2.5)
        return nv_lgamma2(x - 2);
    /* down into [1.5, 2.5): log of (x - 1)(x - 2)...(x - n), each exact */
    p = 1;
    z = x;
    while (z > 2.5) {
        z -= 1;
        p *= z;
    }
    return nv_lgamma2(z - 2) + log(p);
}

/* The Stirling error log Gamma(z + 1) - ((z + 1/2) log z - z + log(2 pi)/2)
   for z >= 0 (0 at 0, by the convention of the density formulas): exact
   table values at the half-integers up to 15, the series above, and below
   the direct formula (z < 1) or the recurrence up from z + n >= 15.
   At most 10 ulps (measured). */
NV_RT double nv_stirlerr(double z)
{
    static const double half[] = {0, 0.15342640972002736, 0.08106146679532726, 0.05481412105191765,
        0.0413406959554093, 0.03316287351993629, 0.02767792568499834, 0.023746163656297496,
        0.020790672103765093, 0.018488450532673187, 0.016644691189821193, 0.015134973221917378,
        0.013876128823070748, 0.012810465242920227, 0.01189670994589177, 0.011104559758206917,
        0.010411265261972096, 0.009799416126158804, 0.009255462182712733, 0.008768700134139386,
        0.00833056343336287, 0.00793411456431402, 0.007573675487951841, 0.007244554301320383,
        0.00694284010720953, 0.006665247032707682, 0.006408994188004207, 0.006171712263039458,
        0.0059513701127588475, 0.0057462165130101155, 0.005554733551962801};
    double s = 0;
    if (z <= 15) {
        double z2 = z + z;
        if (z2 == floor(z2) && z2 >= 0)
            return half[(int)z2];
        if (z < 1)
            return nv_lgamma(z + 1) - (z + 0.5) * log(z) + z - NV_HALF_LOG_2PI;
        /* s(z) = s(z + 1) + (z + 1/2) log(1 + 1/z) - 1, where with
           u = 1/(2z + 1) the last two terms are u^2/3 + u^4/5 + u^6/7 + ...
           (log(1 + 1/z) = 2 atanh(u)), summed without cancellation */
        while (z < 15) {
            double u2 = 1 / (2 * z + 1), t, d = 0;
            int k;
            u2 *= u2;
            t = u2;
            for (k = 3; k < 60; k += 2) {
                d += t / k;
                t *= u2;
                if (t < 1e-17 * d)
                    break;
            }
            s += d;
            z += 1;
        }
    }
    return s + nv_lgamma_corr(z);
}

/* The deviance term x log(x / m) + m - x >= 0, without the cancellation of
   that formula when x is near m (the series of 2 x atanh(v) - (x - m) in
   v = (x - m)/(x + m) where |v| < 1/2).  Its accuracy shows in the
   densities' (nv_dpois_raw, nv_dbinom2). */
NV_RT double nv_bd0(double x, double m)
{
    if (fabs(x - m) < 0.5 * (x + m)) {
        double v = (x - m) / (x + m), s = (x - m) * v, ej = 2 * x * v, v2 = v * v, s1;
        int j;
        for (j = 1; j < 1000; j++) {
            ej *= v2;
            s1 = s + ej / (2 * j + 1);
            if (s1 == s)
                return s1;
            s = s1;
        }
        return s;
    }
    return x * log(x / m) + m - x;
}

/* log B(a, b) = log Gamma(a) + log Gamma(b) - log Gamma(a + b) for a, b > 0,
   rearranged when an argument is 1 or more so that the big terms cancel
   exactly (the Stirling errors carry the rest).  At most 16 ulps
   (measured, a and b in [1e-4, 1e6]). */
NV_RT double nv_lbeta(double a, double b)
{
    double p = a < b ? a : b, q = a < b ? b : a, r;
    if (!(p > 0))
        return NAN;
    if (p >= 10) {
        r = nv_lgamma_corr(p) + nv_lgamma_corr(q) - nv_lgamma_corr(p + q);
        return -0.5 * log(q) + NV_HALF_LOG_2PI + r + (p - 0.5) * log(p / (p + q)) + q * log1p(-p / (p + q));
    }
    if (q >= 1) {
        /* log Gamma(q) and log Gamma(p + q) by Stirling with their exact
           errors, so that their large common part cancels exactly */
        r = nv_stirlerr(q) - nv_stirlerr(p + q);
        return nv_lgamma(p) + r + p - p * log(p + q) + (q - 0.5) * log1p(-p / (p + q));
    }
    return nv_lgamma(p) + nv_lgamma(q) - nv_lgamma(p + q);
}

/* m^x e^-m / Gamma(x + 1) for x >= 0, m >= 0 (the Poisson density,
   continued to real x): Loader's form.  At most 3 (1 + |ln r|) ulps for a
   result r (measured, m < 1e6): the rounding of the exponent, which grows
   with |ln r| (the condition number of exp), is most of it. */
NV_RT double nv_dpois_raw(double x, double m)
{
    if (m == 0)
        return x == 0 ? 1 : 0;
    if (x == 0)
        return exp(-m);
    if (x < 1)
        return exp(x * log(m) - m - nv_lgamma(x + 1));
    return exp(-nv_stirlerr(x) - nv_bd0(x, m)) / sqrt(2 * 3.14159265358979323846 * x);
}

/* s + e = a + b exactly (Knuth's two-sum) */
NV_RT double nv_two_sum(double a, double b, double *e)
{
    double s = a + b, bb = s - a;
    *e = (a - (s - bb)) + (b - bb);
    return s;
}

/* C(x + y, x) p^x q^y for x, y >= 0 and q = 1 - p given separately (the
   binomial density continued to real counts, x successes and y failures):
   Loader's form.  The counts are given apart because their sum is rounded
   and a difference of it would not give them back; x p + y p and x q + y q
   are formed to twice the precision (fma gives a product's rounding
   error, a two-sum a sum's), from whichever of p and q is the smaller and
   so the one given exactly, and a first-order correction of bd0 takes the
   low parts in.  At most 3 (1 + |ln r|) ulps for a result r (measured,
   x + y < 1e7). */
NV_RT double nv_dbinom2(double x, double y, double p, double q)
{
    double n, nl, s, hx, hy, sh, sl, th, tl, e, np, npl, nq, nql, lc, lf;
    if (p == 0)
        return x == 0 ? 1 : 0;
    if (q == 0)
        return y == 0 ? 1 : 0;
    if (x == 0)
        return y == 0 ? 1 : p < 0.1 ? exp(y * log1p(-p)) : exp(y * log(q));
    if (y == 0)
        return q < 0.1 ? exp(x * log1p(-q)) : exp(x * log(p));
    if (x < 0 || y < 0)
        return 0;
    n = nv_two_sum(x, y, &nl);
    s = p <= q ? p : q;
    hx = x * s;
    hy = y * s;
    sh = nv_two_sum(hx, hy, &e);
    sl = e + fma(x, s, -hx) + fma(y, s, -hy);     /* (x + y) s */
    th = nv_two_sum(n, -sh, &e);
    tl = e + nl - sl;                            /* (x + y)(1 - s) */
    if (p <= q) {
        np = sh, npl = sl, nq = th, nql = tl;
    } else {
        np = th, npl = tl, nq = sh, nql = sl;
    }
    lc = nv_stirlerr(n) - nv_stirlerr(x) - nv_stirlerr(y) - (nv_bd0(x, np) + npl * (1 - x / np))
         - (nv_bd0(y, nq) + nql * (1 - y / nq));
    lf = NV_LOG_2PI + log(x) + log(y) - log(n);
    return exp(lc - 0.5 * lf);
}

/* C(n, x) p^x q^(n - x) for integers 0 <= x <= n */
NV_RT double nv_dbinom_raw(double x, double n, double p, double q)
{
    if (x < 0 || x > n)
        return 0;
    return nv_dbinom2(x, n - x, p, q);
}

/* ---- the regularized incomplete gamma function ---- */
/* Wilson and Hilferty's cube-root normal approximation of P(a, x), for a
   beyond 1e10, where it is good to about 1e-11 and the series would need
   too many terms. */
NV_RT double nv_gamma_wh(double a, double x, int upper)
{
    double z = (cbrt(x / a) - (1 - 1 / (9 * a))) / sqrt(1 / (9 * a));
    return nv_stdnorm_cdf(upper ? -z : z);
}

/* the iterations the continued fractions below may take for a shape s:
   1000 + 20 sqrt(s), bounded, and 1000 for a NaN or negative s (whose
   callers return before iterating) */
NV_RT int nv_maxit(double s)
{
    if (s >= 1e10)
        return 2001000;
    return s > 0 ? 1000 + (int)(20 * sqrt(s)) : 1000;
}

/* one step of the modified Lentz method for a continued fraction
   b0 + a1/(b1 + a2/(b2 + ...)): with c and d carried from the step before,
   the factor this step's a, b multiply the value by (Numerical Recipes 5.2;
   1e-300 stands for a zero denominator) */
NV_RT double nv_lentz(double a, double b, double *c, double *d)
{
    const double tiny = 1e-300;
    *d = b + a * *d;
    if (fabs(*d) < tiny)
        *d = tiny;
    *c = b + a / *c;
    if (fabs(*c) < tiny)
        *c = tiny;
    *d = 1 / *d;
    return *d * *c;
}

/* P(a, x) (upper = 0) or Q(a, x) = 1 - P(a, x) (upper = 1), the regularized
   incomplete gamma functions, for a > 0, x >= 0: the series below a + 1,
   the continued fraction above, each for the tail it computes well and the
   other by subtraction.  At most 13 (1 + |ln r|) ulps for a result r >=
   1e-300 and a <= 1e4 (measured; the error grows like sqrt(a) near x = a,
   where the series and the fraction need that many terms). */
NV_RT double nv_gamma_pq(double a, double x, int upper)
{
    double r;
    int n, maxit = nv_maxit(a);
    if (x != x || a != a)
        return NAN;
    if (x <= 0)
        return upper ? 1 : 0;
    if (x == HUGE_VAL)
        return upper ? 0 : 1;
    if (a > 1e10)
        return nv_gamma_wh(a, x, upper);
    if (upper && a < 1 && x <= 1.5) {
        /* Q of small a near 0, where 1 - P would cancel: with
           u = log(x^a / Gamma(a + 1)),
           Q = -expm1(u) - a e^u sum_{k>=1} (-x)^k / (k! (a + k)) */
        double u = a * log(x) - (a <= 0.5 ? nv_lgamma2(a) - log1p(a) : nv_lgamma(1 + a)), term = 1, sum = 0;
        for (n = 1; n < 100; n++) {
            term *= -x / n;
            sum += term / (a + n);
            if (fabs(term) < 1e-17 * fabs(sum))
                break;
        }
        r = -expm1(u) - a * exp(u) * sum;
        return r < 0 ? 0 : r;
    }
    if (x < a + 1) {
        /* P = x^a e^-x / Gamma(a + 1) (1 + x/(a+1) + x^2/((a+1)(a+2)) + ...) */
        double term = 1, sum = 1;
        for (n = 1; n < maxit; n++) {
            term *= x / (a + n);
            sum += term;
            if (term < sum * 1e-17)
                break;
        }
        r = nv_dpois_raw(a, x) * sum;
        if (r > 1)
            r = 1;
        return upper ? 1 - r : r;
    } else {
        /* Q = x^a e^-x / Gamma(a) / (x + 1 - a - 1(1 - a)/(x + 3 - a - ...)),
           by the modified Lentz method */
        const double tiny = 1e-300;
        double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d, an, del;
        for (n = 1; n < maxit; n++) {
            an = -n * (n - a);
            b += 2;
            del = nv_lentz(an, b, &c, &d);
            h *= del;
            if (fabs(del - 1) <= DBL_EPSILON)
                break;
        }
        r = a * nv_dpois_raw(a, x) * h;
        if (r > 1)
            r = 1;
        return upper ? r : 1 - r;
    }
}

/* The x >= 0 with P(a, x) = p (upper = 0) or Q(a, x) = p (upper = 1), for
   a > 0 and 0 <= p <= 1: Halley's method on the smaller tail from the
   Wilson-Hilferty first guess, kept inside a bracket by bisection.  The
   result x is within 4 (1 + |ln x|) ulps of the true quantile (measured,
   a <= 1e3): the error of P and Q times their condition number. */
NV_RT double nv_gamma_pq_inv(double a, double p, int upper)
{
    double x, lo = 0, hi = HUGE_VAL, z, f, d, step, t;
    int it;
    if (p != p || a != a)
        return NAN;
    if (p <= 0)
        return upper ? HUGE_VAL : 0;
    if (p >= 1)
        return upper ? 0 : HUGE_VAL;
    if (p > 0.5) {           /* the other tail: 1 - p is exact here */
        p = 1 - p;
        upper = !upper;
    }
    z = nv_stdnorm_idf(p);
    if (upper)
        z = -z;
    t = 1 - 1 / (9 * a) + z / (3 * sqrt(a));
    x = a * t * t * t;
    if (!upper && (a < 1 || !(x > 0))) {
        /* the lower tail of small a: P ~ x^a / Gamma(a + 1) */
        double x2 = exp((log(p) + nv_lgamma(a + 1)) / a);
        if (x2 == 0)
            return 0;       /* the root is below the smallest double */
        if (!(x > 0) || x2 < x)
            x = x2;
    }
    if (!(x > 0))
        x = a > 1 ? a : 1;
    if (x == HUGE_VAL)
        x = DBL_MAX / 4;
    for (it = 0; it < 300; it++) {
        f = nv_gamma_pq(a, x, upper) - p;
        if (f == 0)
            return x;
        /* P increases with x, Q decreases */
        if ((f < 0) != (upper != 0))
            lo = x;
        else
            hi = x;
        d = a * nv_dpois_raw(a, x) / x;              /* dP/dx */
        t = x;
        if (d > 0 && d == d && d != HUGE_VAL) {
            step = (upper ? -f : f) / d;
            {
                double h = 1 - 0.5 * step * ((a - 1) / x - 1);
                if (h > 0.5 && h < 2)
                    step /= h;
            }
            t = x - step;
        }
        if (!(t > lo && t < hi))
            t = hi == HUGE_VAL ? (lo > 0 ? lo * 4 : 1) : lo > 0 ? sqrt(lo) * sqrt(hi) : hi / 4;
        if (fabs(t - x) <= 2 * DBL_EPSILON * x || t == lo || t == hi)
            return t;
        x = t;
    }
    return x;
}

/* ---- the regularized incomplete beta function ---- */
/* x^a y^b / B(a, b) with y = 1 - x given separately: Loader's binomial
   form when a + b is large, the logarithms otherwise. */
NV_RT double nv_beta_front(double a, double b, double x, double y)
{
    if (a < 1 || b < 1 || a + b < 10)
        return exp(a * log(x) + b * (y < 0.5 ? log(y) : log1p(-x)) - nv_lbeta(a, b));
    return nv_dbinom2(a, b, x, y) * (a * b / (a + b));
}

/* The continued fraction of I_x(a, b) / (x^a y^b / (a B(a, b))), by the
   modified Lentz method; converges fast for x < (a + 1)/(a + b + 2).  Its
   first denominator 1 - (a + b) x / (a + 1) cancels near that bound, so it
   is formed as (a y - b x + 1)/(a + 1) with the products to twice the
   precision. */
NV_RT double nv_ibeta_cf(double a, double b, double x, double y)
{
    const double tiny = 1e-300;
    double qab = a + b, qap = a + 1, qam = a - 1, c = 1, d, h, aa, del, e;
    double ay = a * y, bx = b * x, dh = nv_two_sum(ay, -bx, &e);
    int m, m2, maxit = nv_maxit(a + b);
    d = (dh + (e + fma(a, y, -ay) - fma(b, x, -bx) + 1)) / qap;
    if (fabs(d) < tiny)
        d = tiny;
    d = 1 / d;
    h = d;
    for (m = 1; m < maxit; m++) {
        m2 = 2 * m;
        aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        h *= nv_lentz(aa, 1, &c, &d);
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        del = nv_lentz(aa, 1, &c, &d);
        h *= del;
        if (fabs(del - 1) <= DBL_EPSILON)
            break;
    }
    return h;
}

/* I_x(a, b) by its power series x^a / (a B(a, b)) (1 + a sum_{j>=1}
   (1-b)(2-b)...(j-b)/j! x^j/(a + j)), whose terms are all positive for
   b <= 1: the tail where the continued fraction would give 1 minus
   something near 1, for x <= 0.7 (beyond, the terms are too many for the
   rounding of their products).  NaN if it does not converge. */
NV_RT double nv_ibeta_series(double a, double b, double x)
{
    double t = 1, s = 0, term;
    int j;
    for (j = 1; j < 1000; j++) {
        t *= (j - b) / j * x;
        term = t / (a + j);
        s += term;
        if (term < 1e-17 * s)
            return exp(a * log(x) - nv_lbeta(a, b)) / a * (1 + a * s);
    }
    return NAN;
}

/* I_x(a, b) (upper = 0) or 1 - I_x(a, b) (upper = 1), the regularized
   incomplete beta function, for a, b > 0 and 0 <= x <= 1 with y = 1 - x
   given separately (so that x near 1 keeps its accuracy in y): the
   continued fraction of the tail it converges for, the other by
   subtraction (or, for a small parameter, its power series).  At most
   85 (1 + |ln r|) ulps for a result r >= 1e-300 and a, b <= 1e3
   (measured); the worst is the tail near 1 of a small parameter, which is
   1 minus the other. */
NV_RT double nv_ibeta(double a, double b, double x, double y, int upper)
{
    double w;
    if (x != x || y != y || a != a || b != b)
        return NAN;
    if (x <= 0)
        return upper ? 1 : 0;
    if (y <= 0)
        return upper ? 0 : 1;
    if (a + b > 1e12) {
        /* the normal limit, where the fraction would need too many terms */
        double m = a / (a + b), s = sqrt(a * b / ((a + b) * (a + b) * (a + b + 1)));
        return nv_stdnorm_cdf(upper ? (m - x) / s : (x - m) / s);
    }
    if (x * (a + b + 2) < a + 1) {
        w = nv_beta_front(a, b, x, y) / a * nv_ibeta_cf(a, b, x, y);
        if (w > 1)
            w = 1;
        if (upper && w > 0.5 && a <= 1 && y <= 0.7) {
            /* 1 - w would cancel: the upper tail I_y(b, a) directly */
            double d = nv_ibeta_series(b, a, y);
            if (d == d)
                return d;
        }
        return upper ? 1 - w : w;
    }
    w = nv_beta_front(b, a, y, x) / b * nv_ibeta_cf(b, a, y, x);
    if (w > 1)
        w = 1;
    if (!upper && w > 0.5 && b <= 1 && x <= 0.7) {
        double d = nv_ibeta_series(a, b, x);    /* as above, the lower tail */
        if (d == d)
            return d;
    }
    return upper ? w : 1 - w;
}

/* The derivative of I_x(a, b): the beta density x^(a-1) y^(b-1) / B(a, b). */
NV_RT double nv_beta_density(double a, double b, double x, double y)
{
    if (x <= 0 || y <= 0)
        return 0;
    return nv_beta_front(a, b, x, y) / (x * y);
}

/* The x with I_x(a, b) = p (upper = 0) or 1 - I_x(a, b) = p (upper = 1),
   for a, b > 0, 0 <= p <= 1; *y gets 1 - x, computed so that whichever of
   the two is small keeps its relative accuracy.  Halley's method on the
   smaller tail, in the variable (x or 1 - x) that is small at the first
   guess, kept inside a bracket by bisection.  The result x is within
   6 (1 + |ln x|) ulps of the true quantile (measured, a, b <= 1e2). */
NV_RT double nv_ibeta_inv(double a, double b, double p, int upper, double *y)
{
    double t, s, lo = 0, hi = 1, f, d, step, u, pp;
    int swapped = 0, it;
    if (p != p || a != a || b != b) {
        *y = NAN;
        return NAN;
    }
    if (p <= 0 || p >= 1) {
        int one = (p >= 1) != (upper != 0);
        *y = one ? 0 : 1;
        return one ? 1 : 0;
    }
    if (p > 0.5) {           /* the other tail: 1 - p is exact here */
        p = 1 - p;
        upper = !upper;
    }
    if (upper) {             /* 1 - I_x(a, b) = I_y(b, a): a lower tail in y */
        double c = a;
        a = b;
        b = c;
        upper = 0;
        swapped = 1;
    }
    /* now I_t(a, b) = p, p <= 1/2; the first guess, as t and s = 1 - t */
    if (a >= 1 && b >= 1) {
        double r = sqrt(-2 * log(p)), z, al, h, w, e;
        z = r - (2.30753 + r * 0.27061) / (1 + r * (0.99229 + r * 0.04481));  /* -Phi^-1(p), roughly */
        al = (z * z - 3) / 6;
        h = 2 / (1 / (2 * a - 1) + 1 / (2 * b - 1));
        w = z * sqrt(al + h) / h - (1 / (2 * b - 1) - 1 / (2 * a - 1)) * (al + 5.0 / 6 - 2 / (3 * h));
        e = b * exp(2 * w);
        t = a / (a + e);
        s = e / (a + e);
    } else {
        double ta = exp(a * log(a / (a + b))) / a, tb = exp(b * log(b / (a + b))) / b, w = ta + tb;
        if (p < ta / w) {
            t = pow(a * w * p, 1 / a);
            s = 1 - t;
        } else {
            s = pow(b * w * (1 - p), 1 / b);
            t = 1 - s;
        }
    }
    if (!(t >= 0 && s >= 0) || t != t || s != s)
        t = s = 0.5;
    if (t == 0 || s == 0) {  /* the root is within the smallest double of 0 or 1 */
        int zero = (t == 0) != swapped;
        *y = zero ? 1 : 0;
        return zero ? 0 : 1;
    }
    /* solve in the variable that is small: I_t(a, b) = p, or in s = 1 - t,
       1 - I_s(b, a) = p */
    pp = p;
    if (t > s) {
        double c = a;
        a = b;
        b = c;
        swapped = !swapped;
        upper = 1;
        t = s;
    }
    u = t;
    for (it = 0; it < 300; it++) {
        f = nv_ibeta(a, b, u, 1 - u, upper) - pp;
        if (f == 0)
            break;
        if ((f < 0) != (upper != 0))
            lo = u;
        else
            hi = u;
        d = nv_beta_density(a, b, u, 1 - u);
        t = -1;
        if (d > 0 && d == d && d != HUGE_VAL) {
            step = (upper ? -f : f) / d;
            {
                double h = 1 - 0.5 * step * ((a - 1) / u - (b - 1) / (1 - u));
                if (h > 0.5 && h < 2)
                    step /= h;
            }
            t = u - step;
        }
        if (!(t > lo && t < hi))
            t = lo > 0 && hi / lo > 4 ? sqrt(lo) * sqrt(hi) : (lo + hi) / 2;
        if (fabs(t - u) <= 2 * DBL_EPSILON * u || t == lo || t == hi) {
            u = t;
            break;
        }
        u = t;
    }
    /* u is t or s, small or at least below 1/2 at the guess */
    if (swapped) {
        *y = u;
        return 1 - u;
    }
    *y = 1 - u;
    return u;
}

/*@ section kernel_dist needs kernel_gamma kernel_normal */
/* ---- distributions: densities (pdf), distribution functions (cdf; upper =
   1 gives the upper tail 1 - F), quantiles (qf).  Parameters are valid:
   the callers check them. ---- */

/* Unless stated, a density or distribution function is as accurate as the
   special function under it (see there) times the condition number of the
   arguments' rounding, and a quantile is within a few ulps of the exact
   inverse of its distribution function. */

/* gamma(shape a, scale s) */
NV_RT double nv_gamma_pdf(double x, double a, double s)
{
    if (x < 0)
        return 0;
    if (x == 0)
        return a < 1 ? HUGE_VAL : a == 1 ? 1 / s : 0;
    if (a < 1)
        return nv_dpois_raw(a, x / s) * a / x;
    return nv_dpois_raw(a - 1, x / s) / s;
}

NV_RT double nv_gamma_cdf(double x, double a, double s, int upper)
{
    return nv_gamma_pq(a, x <= 0 ? 0 : x / s, upper);
}

NV_RT double nv_gamma_qf(double p, double a, double s)
{
    return s * nv_gamma_pq_inv(a, p, 0);
}

/* beta(a, b) */
NV_RT double nv_beta_pdf(double x, double a, double b)
{
    if (x < 0 || x > 1)
        return 0;
    if (x == 0)
        return a < 1 ? HUGE_VAL : a == 1 ? b : 0;
    if (x == 1)
        return b < 1 ? HUGE_VAL : b == 1 ? a : 0;
    return nv_beta_density(a, b, x, 1 - x);
}

NV_RT double nv_beta_cdf(double x, double a, double b, int upper)
{
    if (x <= 0)
        return upper ? 1 : 0;
    if (x >= 1)
        return upper ? 0 : 1;
    return nv_ibeta(a, b, x, 1 - x, upper);
}

NV_RT double nv_beta_qf(double p, double a, double b)
{
    double y;
    return nv_ibeta_inv(a, b, p, 0, &y);
}

/* Student's t with n degrees of freedom: the distribution function by
   nv_ibeta (at most 85 (1 + |ln r|) ulps, measured, n <= 1e4), the
   quantile by nv_ibeta_inv (within 175 (1 + |ln t|) ulps of the true one,
   measured), both exact in closed form for n = 1 and 2 */
NV_RT double nv_t_pdf(double x, double n)
{
    double x2n = x / n * x;
    return exp(-nv_lbeta(n / 2, 0.5) - 0.5 * log(n) - (n + 1) / 2 * log1p(x2n));
}

NV_RT double nv_t_cdf(double t, double n, int upper)
{
    double x, y, tail;
    if (t != t)
        return NAN;
    if (t == 0)
        return 0.5;
    if (fabs(t) > 1e150) {
        x = n / t / t;
        y = 1;
    } else {
        x = n / (n + t * t);
        y = t * t / (n + t * t);
    }
    tail = nv_ibeta(n / 2, 0.5, x, y, 0) / 2;   /* P(T > |t|) */
    return (t > 0) != (upper != 0) ? 1 - tail : tail;
}

NV_RT double nv_t_qf(double p, double n)
{
    double q, x, y, t;
    if (p == 0.5)
        return 0;
    if (n == 1)       /* Cauchy */
        return p < 0.5 ? -1 / tan(3.14159265358979323846 * p) : 1 / tan(3.14159265358979323846 * (1 - p));
    q = p < 0.5 ? 2 * p : 2 * (1 - p);
    if (n == 2) {     /* closed form: t^2 = 4 u (1 - u) ... */
        double u = p < 0.5 ? p : 1 - p;
        t = (1 - 2 * u) / sqrt(2 * u * (1 - u));
        return p < 0.5 ? -t : t;
    }
    x = nv_ibeta_inv(n / 2, 0.5, q, 0, &y);     /* x = n/(n + t^2) */
    t = x > 0 ? sqrt(n * y / x) : HUGE_VAL;
    return p < 0.5 ? -t : t;
}

/* F(m, n) (numerator and denominator degrees of freedom) */
NV_RT double nv_f_pdf(double x, double m, double n)
{
    double u, v;
    if (x < 0)
        return 0;
    if (x == 0)
        return m < 2 ? HUGE_VAL : m == 2 ? 1 : 0;
    u = m * x / (m * x + n);
    v = n / (m * x + n);
    return nv_beta_front(m / 2, n / 2, u, v) / x;
}

NV_RT double nv_f_cdf(double x, double m, double n, int upper)
{
    if (x <= 0)
        return upper ? 1 : 0;
    if (x == HUGE_VAL)
        return upper ? 0 : 1;
    return nv_ibeta(m / 2, n / 2, m * x / (m * x + n), n / (m * x + n), upper);
}

NV_RT double nv_f_qf(double p, double m, double n)
{
    double v, u = nv_ibeta_inv(m / 2, n / 2, p, 0, &v);
    return v > 0 ? n * u / (m * v) : HUGE_VAL;
}

/* Weibull(shape a, scale b) */
NV_RT double nv_weibull_pdf(double x, double a, double b)
{
    double z;
    if (x < 0)
        return 0;
    if (x == 0)
        return a < 1 ? HUGE_VAL : a == 1 ? 1 / b : 0;
    z = x / b;
    return a / b * pow(z, a - 1) * exp(-pow(z, a));
}

NV_RT double nv_weibull_cdf(double x, double a, double b, int upper)
{
    double t = x <= 0 ? 0 : pow(x / b, a);
    return upper ? exp(-t) : -expm1(-t);
}

NV_RT double nv_weibull_qf(double p, double a, double b)
{
    return b * pow(-log1p(-p), 1 / a);
}

/* Cauchy(location l, scale s) */
NV_RT double nv_cauchy_pdf(double x, double l, double s)
{
    double z = (x - l) / s;
    if (fabs(z) > 1e150)
        return 1 / (3.14159265358979323846 * s * z) / z;
    return 1 / (3.14159265358979323846 * s * (1 + z * z));
}

NV_RT double nv_cauchy_cdf(double x, double l, double s, int upper)
{
    double z = (x - l) / s;
    return atan2(1, upper ? z : -z) / 3.14159265358979323846;
}

NV_RT double nv_cauchy_qf(double p, double l, double s)
{
    if (p == 0.5)
        return l;
    return p < 0.5 ? l - s / tan(3.14159265358979323846 * p) : l + s / tan(3.14159265358979323846 * (1 - p));
}

/* log-normal(meanlog mu, sdlog sigma) */
NV_RT double nv_lognormal_pdf(double x, double mu, double sigma)
{
    double z;
    if (x <= 0)
        return 0;
    z = (log(x) - mu) / sigma;
    return exp(-0.5 * z * z) / (x * sigma * 2.5066282746310002);
}

NV_RT double nv_lognormal_cdf(double x, double mu, double sigma, int upper)
{
    double z;
    if (x <= 0)
        return upper ? 1 : 0;
    z = (log(x) - mu) / sigma;
    return nv_stdnorm_cdf(upper ? -z : z);
}

NV_RT double nv_lognormal_qf(double p, double mu, double sigma)
{
    return exp(mu + sigma * nv_stdnorm_idf(p));
}

/* ---- discrete distributions: k is an integer (a double holding one) ---- */

/* The smallest k in [lo, hi] with F(k) >= p (p fuzzed down by 64 ulps, so
   that a p computed as F(k) gives k back): a galloping search from the
   guess, then bisection; F is the distribution function with its
   parameters. */
typedef double (*nv_cdf_fn)(double k, const double *par);

NV_RT double nv_discrete_qf(nv_cdf_fn F, const double *par, double p, double lo, double hi, double guess)
{
    double t = p * (1 - 64 * DBL_EPSILON), good, bad, step = 1, x;
    int n = 0;
    if (p <= 0)
        return lo;
    if (p >= 1)
        return hi;
    x = guess == guess ? floor(guess + 0.5) : lo;
    if (x < lo)
        x = lo;
    if (x > hi)
        x = hi;
    if (F(x, par) >= t) {
        good = x;
        bad = lo - 1;
        while (good > lo && n++ < 2000) {
            x = good - step < lo ? lo : good - step;
            if (F(x, par) >= t) {
                good = x;
                step *= 2;
            } else {
                bad = x;
                break;
            }
        }
    } else {
        bad = x;
        good = hi;
        while (bad < hi && n++ < 2000) {
            x = bad + step > hi ? hi : bad + step;
            if (F(x, par) < t) {
                bad = x;
                step *= 2;
            } else {
                good = x;
                break;
            }
        }
    }
    while (good - bad > 1 && n++ < 4000) {
        x = floor(bad + (good - bad) / 2);
        if (x <= bad || x >= good)
            break;
        if (F(x, par) >= t)
            good = x;
        else
            bad = x;
    }
    return good;
}

/* binomial(size n, prob p) */
NV_RT double nv_binomial_pdf(double k, double n, double p)
{
    if (k < 0 || k > n || k != floor(k))
        return 0;
    return nv_dbinom_raw(k, n, p, 1 - p);
}

NV_RT double nv_binomial_cdf(double x, double n, double p, int upper)
{
    double k = floor(x);
    if (k < 0)
        return upper ? 1 : 0;
    if (k >= n)
        return upper ? 0 : 1;
    return nv_ibeta(n - k, k + 1, 1 - p, p, upper);   /* P(X <= k) = I_{1-p}(n - k, k + 1) */
}

NV_RT double nv_binomial_cdf_p(double k, const double *par) { return nv_binomial_cdf(k, par[0], par[1], 0); }

NV_RT double nv_binomial_qf(double q, double n, double p)
{
    double par[2], mu = n * p, sd = sqrt(n * p * (1 - p)), z;
    par[0] = n;
    par[1] = p;
    if (p == 0 || n == 0)
        return 0;
    if (p == 1)
        return n;
    z = nv_stdnorm_idf(q);
    return nv_discrete_qf(nv_binomial_cdf_p, par, q, 0, n, mu + sd * (z + (1 - 2 * p) / sd * (z * z - 1) / 6));
}

/* Poisson(lambda) */
NV_RT double nv_poisson_pdf(double k, double lambda)
{
    if (k < 0 || k != floor(k))
        return 0;
    return nv_dpois_raw(k, lambda);
}

NV_RT double nv_poisson_cdf(double x, double lambda, int upper)
{
    double k = floor(x);
    if (k < 0)
        return upper ? 1 : 0;
    if (lambda == 0)
        return upper ? 0 : 1;
    return nv_gamma_pq(k + 1, lambda, !upper);   /* P(X <= k) = Q(k + 1, lambda) */
}

NV_RT double nv_poisson_cdf_p(double k, const double *par) { return nv_poisson_cdf(k, par[0], 0); }

NV_RT double nv_poisson_qf(double q, double lambda)
{
    double par[1], z;
    par[0] = lambda;
    if (lambda == 0)
        return 0;
    z = nv_stdnorm_idf(q);
    return nv_discrete_qf(nv_poisson_cdf_p, par, q, 0, HUGE_VAL,
                          lambda + sqrt(lambda) * (z + (z * z - 1) / (6 * sqrt(lambda))));
}

/* negative binomial(size r, prob p): failures before the r-th success */
NV_RT double nv_negbin_pdf(double k, double r, double p)
{
    if (k < 0 || k != floor(k))
        return 0;
    if (r == 0)
        return k == 0 ? 1 : 0;
    if (k == 0)
        return exp(r * log(p));
    return nv_dbinom2(r, k, p, 1 - p) * (r / (k + r));
}

NV_RT double nv_negbin_cdf(double x, double r, double p, int upper)
{
    double k = floor(x);
    if (k < 0)
        return upper ? 1 : 0;
    if (r == 0 || p == 1)
        return upper ? 0 : 1;
    return nv_ibeta(r, k + 1, p, 1 - p, upper);     /* P(X <= k) = I_p(r, k + 1) */
}

NV_RT double nv_negbin_cdf_p(double k, const double *par) { return nv_negbin_cdf(k, par[0], par[1], 0); }

NV_RT double nv_negbin_qf(double q, double r, double p)
{
    double par[2], mu, sd, z;
    par[0] = r;
    par[1] = p;
    if (r == 0 || p == 1)
        return 0;
    mu = r * (1 - p) / p;
    sd = sqrt(r * (1 - p)) / p;
    z = nv_stdnorm_idf(q);
    return nv_discrete_qf(nv_negbin_cdf_p, par, q, 0, HUGE_VAL,
                          mu + sd * (z + (2 - p) / sqrt(r * (1 - p)) * (z * z - 1) / 6));
}

/* geometric(prob p): failures before the first success */
NV_RT double nv_geometric_pdf(double k, double p)
{
    if (k < 0 || k != floor(k))
        return 0;
    if (p == 1)
        return k == 0 ? 1 : 0;
    return p * exp(k * log1p(-p));
}

NV_RT double nv_geometric_cdf(double x, double p, int upper)
{
    double k = floor(x), t;
    if (k < 0)
        return upper ? 1 : 0;
    if (p == 1)
        return upper ? 0 : 1;
    t = (k + 1) * log1p(-p);
    return upper ? exp(t) : -expm1(t);
}

NV_RT double nv_geometric_cdf_p(double k, const double *par) { return nv_geometric_cdf(k, par[0], 0); }

NV_RT double nv_geometric_qf(double q, double p)
{
    if (p == 1)
        return 0;
    return nv_discrete_qf(nv_geometric_cdf_p, &p, q, 0, HUGE_VAL, log1p(-q) / log1p(-p) - 1);
}

/* hypergeometric: k white balls among n drawn (without replacement) from
   an urn of w white and b black */
NV_RT double nv_hyper_pdf(double k, double w, double b, double n)
{
    double p, q;
    if (k < 0 || k < n - b || k > n || k > w || k != floor(k))
        return 0;
    p = n / (w + b);
    q = (w + b - n) / (w + b);
    return nv_dbinom_raw(k, w, p, q) * nv_dbinom_raw(n - k, b, p, q) / nv_dbinom_raw(n, w + b, p, q);
}

NV_RT double nv_hyper_cdf(double x, double w, double b, double n, int upper)
{
    double k = floor(x), lo = n - b > 0 ? n - b : 0, hi = n < w ? n : w, sum = 0, term = 1, j, r;
    if (k < lo)
        return upper ? 1 : 0;
    if (k >= hi)
        return upper ? 0 : 1;
    if (k * (w + b) > n * w) {
        /* above the mean: P(X <= k) = 1 - P(black drawn <= n - k - 1) */
        double s = w;
        w = b;
        b = s;
        k = n - k - 1;
        upper = !upper;
    }
    /* sum_{j <= k} f(j) = f(k) (1 + f(k-1)/f(k) + ...), the ratios
       f(j-1)/f(j) = j (b - n + j) / ((w - j + 1)(n - j + 1)) */
    for (j = k; j > 0 && term >= DBL_EPSILON * sum; j--) {
        term *= j * (b - n + j) / ((w - j + 1) * (n - j + 1));
        sum += term;
    }
    r = nv_hyper_pdf(k, w, b, n) * (1 + sum);
    if (r > 1)
        r = 1;
    return upper ? 1 - r : r;
}

NV_RT double nv_hyper_cdf_p(double k, const double *par) { return nv_hyper_cdf(k, par[0], par[1], par[2], 0); }

NV_RT double nv_hyper_qf(double q, double w, double b, double n)
{
    double par[3], lo = n - b > 0 ? n - b : 0, hi = n < w ? n : w;
    par[0] = w;
    par[1] = b;
    par[2] = n;
    return nv_discrete_qf(nv_hyper_cdf_p, par, q, lo, hi, n * w / (w + b));
}

/* The Kolmogorov distribution's upper tail P(K > z) = 2 sum_{k>=1}
   (-1)^(k-1) e^(-2 k^2 z^2), by the theta-function series
   1 - sqrt(2 pi)/z sum_{k>=1} e^(-(2k-1)^2 pi^2/(8 z^2)) below z = 1.
   At most 2 ulps where the result is 1/2 or more, 1e-16 absolute below
   (measured). */
NV_RT double nv_kolmogorov_q(double z)
{
    double s = 0, t;
    int k;
    if (!(z > 0))
        return 1;
    if (z < 1) {
        double c = 3.14159265358979323846 * 3.14159265358979323846 / (8 * z * z);
        for (k = 1; k < 100; k++) {
            t = exp(-(2.0 * k - 1) * (2.0 * k - 1) * c);
            s += t;
            if (t < 1e-17 * s)
                break;
        }
        return 1 - 2.5066282746310002 / z * s;
    }
    for (k = 1; k < 100; k++) {
        t = exp(-2.0 * k * k * z * z);
        s += k % 2 ? t : -t;
        if (t < 1e-17 * fabs(s))
            break;
    }
    return 2 * s;
}
