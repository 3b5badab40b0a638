#!/usr/bin/env python3
"""Reference values for the numeric kernels of runtime/lib/kernels.c,
computed with mpmath at 60 significant digits and rounded once to the
nearest double (written as C99 hexadecimal floating constants, so they read
back exactly).  The output, tests/unit/lib_vectors.h, is committed; the unit
suite (tests/unit/test_lib.c) measures each kernel's error against it.

Regenerate (Debian: python3-mpmath) and review the diff:
    tools/gen_lib_vectors.py tests/unit/lib_vectors.h
"""
import sys

import mpmath

mpmath.mp.dps = 60


def grid(lo, hi, n):
    return [lo + (hi - lo) * i / (n - 1) for i in range(n)]


def pgrid():
    """probabilities from 1e-300 to 1 - 1e-16, dense near both ends"""
    ps = [10.0 ** -e for e in range(300, 0, -7)]
    ps += [i / 1000.0 for i in range(1, 1000)]
    ps += [1 - 10.0 ** -e for e in range(3, 17)]
    ps += [0.02425, 1 - 0.02425, 0.5]
    return sorted(set(p for p in ps if 0 < p < 1))


def logistic(x):
    return 1 / (1 + mpmath.exp(-x))


def cloglog_inv(x):
    return 1 - mpmath.exp(-mpmath.exp(x))


def loglog_inv(x):
    return mpmath.exp(-mpmath.exp(-x))


def cauchit_inv(x):
    return mpmath.mpf(1) / 2 + mpmath.atan(x) / mpmath.pi


def stdnorm_cdf(x):
    return mpmath.ncdf(x)


def stdnorm_idf(p):
    """the x with ncdf(x) = p, to 60 digits: a root of ncdf(x) - q for the
    smaller tail q (1 - p is exact for a double p), by Newton's method"""
    p = mpmath.mpf(p)
    q = min(p, 1 - p)
    if q == mpmath.mpf(1) / 2:
        return mpmath.mpf(0)
    t = mpmath.sqrt(-2 * mpmath.log(q))
    x = -(t - (2.515517 + 0.802853 * t + 0.010328 * t * t) /
          (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t ** 3))
    x = mpmath.findroot(lambda z: mpmath.ncdf(z) - q, x)
    return x if p < 0.5 else -x


def softplus(x):
    return mpmath.log1p(mpmath.exp(x))


def normal_logpdf3(x):
    return -(x - 1) ** 2 / (2 * mpmath.mpf(2.5) ** 2) - mpmath.log(mpmath.mpf(2.5)) - mpmath.log(2 * mpmath.pi) / 2


def lgamma(x):
    return mpmath.loggamma(x)


def stirlerr(x):
    return mpmath.loggamma(x + 1) - (x + mpmath.mpf(1) / 2) * mpmath.log(x) + x - mpmath.log(2 * mpmath.pi) / 2


def kolmogorov_q(z):
    return 2 * mpmath.nsum(lambda k: (-1) ** (k - 1) * mpmath.exp(-2 * k * k * z * z), [1, mpmath.inf])


def gauss(x):
    return mpmath.exp(-x * x)


def elliott(x):
    return x / (1 + abs(x))


def arctan_act(x):
    return 2 * mpmath.atan(x) / mpmath.pi


TABLES = [
    ("logistic", logistic, grid(-740.0, 40.0, 781) + grid(-1.0, 1.0, 201)),
    ("cloglog_inv", cloglog_inv, grid(-40.0, 4.0, 441)),
    ("loglog_inv", loglog_inv, grid(-6.5, 40.0, 466)),
    ("cauchit_inv", cauchit_inv, grid(-1e6, 1e6, 201) + grid(-50.0, 50.0, 401)),
    ("stdnorm_cdf", stdnorm_cdf, grid(-37.0, 9.0, 461) + grid(-1.0, 1.0, 201)),
    ("stdnorm_idf", stdnorm_idf, pgrid()),
    ("softplus", softplus, grid(-700.0, 700.0, 281) + grid(-5.0, 5.0, 201)),
    ("normal_logpdf", normal_logpdf3, grid(-100.0, 100.0, 201)),
    ("lgamma", lgamma, [10.0 ** (e / 4.0) for e in range(-80, 1201)] + grid(0.01, 12.0, 600)
     + grid(0.99, 1.01, 41) + grid(1.99, 2.01, 41)),
    ("stirlerr", stirlerr, grid(0.01, 30.0, 600) + [10.0 ** (e / 4.0) for e in range(-40, 60)]),
    ("kolmogorov_q", kolmogorov_q, grid(0.05, 6.0, 120)),
    ("gauss", gauss, grid(-27.0, 27.0, 541) + grid(-1.0, 1.0, 201)),
    ("elliott", elliott, grid(-1e6, 1e6, 201) + grid(-5.0, 5.0, 401)),
    ("arctan_act", arctan_act, grid(-1e6, 1e6, 201) + grid(-5.0, 5.0, 401)),
]


def rnd():
    """a fixed pseudorandom sequence (the vectors must not change between runs)"""
    state = [12345]

    def next_u():
        state[0] = (state[0] * 6364136223846793005 + 1442695040888963407) % 2 ** 64
        return (state[0] >> 11) / 2.0 ** 53
    return next_u


def gamma_cases():
    """(a, x): a from 1e-3 to 1e4, x around a and in both tails"""
    u = rnd()
    out = []
    for _ in range(360):
        a = float(10.0 ** (-3 + 7 * u()))
        if u() < 0.6:
            x = a + (u() * 2 - 1) * 4 * a ** 0.5
        else:
            x = a * 10.0 ** (u() * 4 - 2)
        if x > 0:
            out.append((a, float(x)))
    return out


def beta_cases():
    """(a, b, x): a, b from 1e-2 to 1e3"""
    u = rnd()
    out = []
    for _ in range(300):
        a = float(10.0 ** (-2 + 5 * u()))
        b = float(10.0 ** (-2 + 5 * u()))
        m = a / (a + b)
        if u() < 0.6:
            x = m + (u() * 2 - 1) * 4 * (a * b / ((a + b) ** 2 * (a + b + 1))) ** 0.5
        else:
            x = u()
        if 0 < x < 1:
            out.append((a, b, float(x)))
    return out


def lbeta_cases():
    u = rnd()
    return [(float(10.0 ** (-4 + 10 * u())), float(10.0 ** (-4 + 10 * u()))) for _ in range(300)]


def density_cases():
    """Poisson (k, m) and binomial (x, y, p) densities near their modes and in the tails"""
    u = rnd()
    pois, binom = [], []
    for _ in range(150):
        m = float(10.0 ** (-2 + 8 * u()))
        k = float(max(0, round(m + (u() * 2 - 1) * 6 * m ** 0.5)))
        pois.append((k, m))
        n = float(round(10.0 ** (7 * u())))
        p = u()
        x = float(min(n, max(0, round(n * p + (u() * 2 - 1) * 6 * (n * p * (1 - p)) ** 0.5))))
        if 0 < x < n:
            binom.append((x, n - x, p))
    return pois, binom


def gamma_inv_cases():
    u = rnd()
    out = []
    for _ in range(90):
        a = float(10.0 ** (-2 + 5 * u()))
        p = float(10.0 ** (-100 * u())) if u() < 0.4 else u()
        out.append((a, p))
    return out


def beta_inv_cases():
    u = rnd()
    out = []
    for _ in range(90):
        a = float(10.0 ** (-1 + 3 * u()))
        b = float(10.0 ** (-1 + 3 * u()))
        p = float(10.0 ** (-50 * u())) if u() < 0.4 else u()
        out.append((a, b, p))
    return out


def t_cases():
    u = rnd()
    cdf = []
    for _ in range(120):
        n = float(max(1, round(10.0 ** (4 * u()))))
        t = float((u() * 2 - 1) * 10.0 ** (3 * u() - 1))
        cdf.append((t, n))
    qf = [(float(max(1, round(10.0 ** (4 * u())))), u()) for _ in range(80)]
    return cdf, qf


def gamma_pq(a, x, upper):
    a, x = mpmath.mpf(a), mpmath.mpf(x)
    return mpmath.gammainc(a, x, mpmath.inf, regularized=True) if upper else \
        mpmath.gammainc(a, 0, x, regularized=True)


def ibeta(a, b, x, upper):
    a, b, x = mpmath.mpf(a), mpmath.mpf(b), mpmath.mpf(x)
    return mpmath.betainc(b, a, 0, 1 - x, regularized=True) if upper else mpmath.betainc(a, b, 0, x, regularized=True)


def bisect(f, lo, hi, geometric):
    """the root of increasing f in [lo, hi] to 45 digits (slow, sure)"""
    for _ in range(2000):
        mid = mpmath.sqrt(lo * hi) if geometric and lo > 0 else (lo + hi) / 2
        if f(mid) < 0:
            lo = mid
        else:
            hi = mid
        if hi - lo < mpmath.mpf(10) ** -45 * hi:
            break
    return (lo + hi) / 2


def gamma_inv(a, p):
    a, p = mpmath.mpf(a), mpmath.mpf(p)
    f = lambda x: mpmath.gammainc(a, 0, x, regularized=True) - p  # noqa: E731
    lo, hi = mpmath.mpf(10) ** -300, a + 10
    while f(hi) < 0:
        hi *= 4
    if f(lo) > 0:
        return mpmath.mpf(0)       # below the doubles
    return bisect(f, lo, hi, True)


def beta_inv(a, b, p):
    a, b, p = mpmath.mpf(a), mpmath.mpf(b), mpmath.mpf(p)
    f = lambda x: mpmath.betainc(a, b, 0, x, regularized=True) - p  # noqa: E731
    lo = mpmath.mpf(10) ** -300
    if f(lo) > 0:
        return mpmath.mpf(0)
    return bisect(f, lo, mpmath.mpf(1), True)


def t_cdf(t, n):
    t, n = mpmath.mpf(t), mpmath.mpf(n)
    tail = mpmath.betainc(n / 2, mpmath.mpf(1) / 2, 0, n / (n + t * t), regularized=True) / 2
    return 1 - tail if t > 0 else tail


def t_qf(n, p):
    n, p = mpmath.mpf(n), mpmath.mpf(p)
    f = lambda t: t_cdf(t, n) - p  # noqa: E731
    lo, hi = mpmath.mpf(-1), mpmath.mpf(1)
    while f(lo) > 0:
        lo *= 4
    while f(hi) < 0:
        hi *= 4
    for _ in range(400):
        mid = (lo + hi) / 2
        if f(mid) < 0:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def hexf(v):
    return float(v).hex() if v != 0 else "0.0"


def write_rows(f, name, rows):
    """rows of numbers (the arguments, then the reference value) as a C table"""
    f.write("static const double vec_%s[][%d] = {\n" % (name, len(rows[0])))
    for r in rows:
        f.write("    {%s},\n" % ", ".join(hexf(v) for v in r))
    f.write("};\n")


def main():
    out = sys.argv[1]
    with open(out, "w") as f:
        f.write("/* Generated by tools/gen_lib_vectors.py with mpmath %s (60 digits, rounded once\n"
                "   to the nearest double).  Do not edit: regenerate. */\n" % mpmath.__version__)
        for name, fn, xs in TABLES:
            xs = sorted(set(xs))
            f.write("static const double vec_%s[][2] = {\n" % name)
            for x in xs:
                y = fn(mpmath.mpf(x))
                f.write("    {%s, %s},\n" % (hexf(x), hexf(y)))
            f.write("};\n")
        write_rows(f, "lbeta", [(a, b, mpmath.log(mpmath.beta(a, b))) for a, b in lbeta_cases()])
        gc = gamma_cases()
        write_rows(f, "gamma_p", [(a, x, gamma_pq(a, x, 0)) for a, x in gc])
        write_rows(f, "gamma_q", [(a, x, gamma_pq(a, x, 1)) for a, x in gc])
        bc = beta_cases()
        write_rows(f, "ibeta", [(a, b, x, ibeta(a, b, x, 0)) for a, b, x in bc])
        write_rows(f, "ibeta_upper", [(a, b, x, ibeta(a, b, x, 1)) for a, b, x in bc])
        pois, binom = density_cases()
        write_rows(f, "dpois", [(k, m, mpmath.exp(k * mpmath.log(m) - m - mpmath.loggamma(k + 1))) for k, m in pois])
        write_rows(f, "dbinom", [(x, y, p, mpmath.binomial(x + y, x) * mpmath.mpf(p) ** x * (1 - mpmath.mpf(p)) ** y)
                                 for x, y, p in binom])
        write_rows(f, "gamma_inv", [(a, p, gamma_inv(a, p)) for a, p in gamma_inv_cases()])
        write_rows(f, "beta_inv", [(a, b, p, beta_inv(a, b, p)) for a, b, p in beta_inv_cases()])
        tc, tq = t_cases()
        write_rows(f, "t_cdf", [(t, n, t_cdf(t, n)) for t, n in tc])
        write_rows(f, "t_qf", [(n, p, t_qf(n, p)) for n, p in tq])


if __name__ == "__main__":
    main()
