/* kernels.c -- numeric kernels that PMML models and PFA functions share:
 * link functions and their inverses, activations and softmax, the normal
 * distribution, rounding, modulo, medians, SVM kernels, distances and
 * similarities (special functions and the other distributions are in
 * special.c).
 *
 * Why here: PMML's lowerings reach these through the IR's calls (the C
 * backend names them), and PFA's library functions wrap them, so the two
 * languages compute the same thing with the same code, tested once
 * (tests/unit/test_lib.c, against reference values computed with mpmath:
 * tools/gen_lib_vectors.py).  Each function states its accuracy, measured by
 * that test over the committed vectors; where a formula is chosen to match
 * the reference evaluators (JPMML, Titus) bit for bit, the comment says so,
 * and the accuracy is that of the formula.
 *
 * Every function is a pure function of its arguments (no state, no errno
 * reliance), so a unit may call it from any thread. */

/*@ section kernel_link needs prelude */
/* The logistic function 1 / (1 + e^-x), as JPMML and Titus compute it.
   At most 1 ulp from the true value for x >= -708 (measured); below that
   e^-x overflows and the result is 0 where the true value is under 2^-1021. */
NV_RT double nv_logistic(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

/* the same in float arithmetic, for models whose fields are float */
NV_RT float nv_logisticf(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

/* Inverse of the complementary log-log link, 1 - e^(-e^x), in the
   reference evaluators' formula.  At most 1 ulp for x >= -1; everywhere the
   absolute error is at most 2^-53, so where the result is tiny (x < -3) its
   relative error grows, as it does in theirs. */
NV_RT double nv_cloglog_inv(double x)
{
    return 1.0 - exp(-exp(x));
}

/* Inverse of the log-log link, e^(-e^-x).  At most (1 + e^-x) ulps: the
   rounding of e^-x, amplified by the outer exponential (2 ulps for x >= 0,
   about 300 at x = -6.4, where the result is 1e-261). */
NV_RT double nv_loglog_inv(double x)
{
    return exp(-exp(-x));
}

/* Inverse of the Cauchit link, 1/2 + atan(x)/pi.  At most 1 ulp for
   x >= -1; everywhere the absolute error is at most 2^-53, so the relative
   error grows where the result is tiny (x < -1e3). */
NV_RT double nv_cauchit_inv(double x)
{
    return 0.5 + (1.0 / 3.14159265358979323846) * atan(x);
}

/* The rectifier max(x, 0) as Java's Math.max computes it: NaN stays NaN,
   -0 gives 0 (PFA's m.link.relu, PMML's rectifier activation).  Exact. */
NV_RT double nv_relu(double x) { return x > 0 || x != x ? x : 0; }

/* log(1 + e^x), without overflow for large x (softplus).  At most 2 ulps
   (measured). */
NV_RT double nv_softplus(double x)
{
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

/* The softmax of v[0..n) in place: e^(v_i - max) / sum_j e^(v_j - max), so
   that no exponential overflows.  Each result within 2 + n/2 ulps (the
   rounding of the sum).  NaN anywhere (or +inf twice) gives NaN. */
NV_RT void nv_softmax(double *v, int64_t n)
{
    double m = -HUGE_VAL, s = 0;
    int64_t i;
    for (i = 0; i < n; i++)
        if (v[i] > m || v[i] != v[i])
            m = v[i];
    for (i = 0; i < n; i++) {
        v[i] = exp(v[i] - m);
        s += v[i];
    }
    for (i = 0; i < n; i++)
        v[i] /= s;
}

/*@ section kernel_normal needs prelude */
/* The standard normal CDF, 0.5 erfc(-x / sqrt 2), the formula of JPMML's
   (commons-math) NormalDistribution.  At most 2 ulps for x >= -1; below,
   the rounding of x / sqrt 2 is amplified by x^2: at most 1.5 (1 + x^2) ulps
   (measured: 26 at x = -5, 1500 at x = -36.7). */
NV_RT double nv_stdnorm_cdf(double x)
{
    return 0.5 * erfc(-x / 1.4142135623730951);
}

/* The inverse of the standard normal CDF: Acklam's rational approximation
   (relative error 1.15e-9), refined by one Halley step on the CDF.  The
   upper half is the lower one mirrored, idf(p) = -idf(1 - p) (1 - p is
   exact there), so the refinement never works on a difference from 1.
   At most 3 ulps over [1e-300, 1 - 2^-53] (measured against mpmath); 0 and
   1 give -inf and +inf, outside [0, 1] NaN. */
NV_RT double nv_stdnorm_idf(double p)
{
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
        -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
        -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
        -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
        2.445134137142996e+00, 3.754408661907416e+00};
    double q, r, x, e, u;
    if (p <= 0) return p == 0 ? -HUGE_VAL : NAN;
    if (p >= 1) return p == 1 ? HUGE_VAL : NAN;
    if (p > 0.5) return -nv_stdnorm_idf(1 - p);
    if (p < 0.02425) {
        q = sqrt(-2 * log(p));
        x = (((((c[0]*q+c[1])*q+c[2])*q+c[3])*q+c[4])*q+c[5]) / ((((d[0]*q+d[1])*q+d[2])*q+d[3])*q+1);
        e = 0.5 * erfc(-x / sqrt(2.0)) - p;
    } else {
        /* p - 0.5 is exact here, and erf keeps its relative accuracy near 0,
           so the step keeps x's relative accuracy where x is small */
        q = p - 0.5;
        r = q * q;
        x = (((((a[0]*r+a[1])*r+a[2])*r+a[3])*r+a[4])*r+a[5])*q / (((((b[0]*r+b[1])*r+b[2])*r+b[3])*r+b[4])*r+1);
        e = 0.5 * erf(x / sqrt(2.0)) - q;
    }
    u = e * sqrt(2 * 3.14159265358979323846) * exp(x * x / 2);
    return x - u / (1 + x * u / 2);
}

/* The log of the normal density at x.  At most 2 ulps where |result| >= 1
   (measured); the sum of its three terms rounds as they do. */
NV_RT double nv_normal_logpdf(double x, double mu, double sigma)
{
    double z = (x - mu) / sigma;
    return -0.5 * z * z - log(sigma) - 0.91893853320467274178;
}

/*@ section kernel_round needs prelude */
/* Round half up, floor(x + 0.5): PMML's round and PFA's m.round (the PFA
   specification's definition; Java's Math.round for all but the one double
   below 0.5 whose sum with 0.5 rounds up to 1).  Exact. */
NV_RT double nv_round_half_up(double x)
{
    return floor(x + 0.5);
}

/* PMML's modulo, x - floor(x / y) * y: the result has the sign of the
   divisor.  Exact when x / y is exact; otherwise within one ulp of |y| of
   the true floored remainder (PFA's "%" uses fmod instead, which is exact,
   as Titus does: nv_fmod_py). */
NV_RT double nv_mod_floor(double x, double y)
{
    return x - floor(x / y) * y;
}

/*@ section kernel_median needs prelude */
/* The (weighted) median of the values of v[0..n) that are not NaN: the
   middle value, or the mean of the two middle ones, unweighted (w NULL);
   weighted, the first value at which the running weight reaches half the
   total.  Sorts v (and w with it) in place; NaN when no value is left.
   Exact (the mean of the middle two rounds once). */
NV_RT double nv_median(double *v, double *w, int n)
{
    int i, j, m = 0;
    double total = 0, run = 0, x, y;
    for (i = 0; i < n; i++)
        if (v[i] == v[i]) {
            v[m] = v[i];
            if (w)
                w[m] = w[i];
            m++;
        }
    if (m == 0)
        return NAN;
    for (i = 1; i < m; i++)
        for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
            x = v[j]; v[j] = v[j - 1]; v[j - 1] = x;
            if (w) {
                y = w[j]; w[j] = w[j - 1]; w[j - 1] = y;
            }
        }
    if (!w)
        return m % 2 ? v[m / 2] : (v[m / 2 - 1] + v[m / 2]) / 2;
    for (i = 0; i < m; i++)
        total += w[i];
    for (i = 0; i < m; i++) {
        run += w[i];
        if (run >= total / 2)
            return v[i];
    }
    return v[m - 1];
}

/*@ section kernel_table needs prelude */
/* Long lists of a model (a MapValues table, the bins of a Discretize, the
   points of a NormContinuous) are constant tables searched by these, rather
   than chains of tests: the code stays small whatever the list's length. */

/* the index of x among the n sorted, distinct keys, or -1 (NaN: -1).
   Exact: keys compare with == */
NV_RT int nv_find_num(double x, const double *keys, int n)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (keys[mid] == x) return mid;
        if (keys[mid] < x) lo = mid + 1; else hi = mid - 1;
    }
    return -1;
}

/* The index of the first of n intervals that holds x, or -1.  bins holds
   three numbers per interval: its low and high margins and its flags: 1 the
   low margin is closed, 2 the high one is, 4 there is no low margin, 8 no
   high one (an interval without margins holds every x, NaN too; PMML's
   Discretize).  Exact. */
NV_RT int nv_bin_index(double x, const double *bins, int n)
{
    int i;
    for (i = 0; i < n; i++) {
        const double *b = bins + 3 * i;
        int f = (int)b[2];
        int lo = (f & 4) || ((f & 1) ? x >= b[0] : x > b[0]);
        int hi = (f & 8) || ((f & 2) ? x <= b[1] : x < b[1]);
        if (lo && hi) return i;
    }
    return -1;
}

/* PMML's NormContinuous: x through the n points (orig, norm), interleaved in
   pts, whose origs increase: linear between the points around x,
   v[k] + ((x - o[k]) * (v[k+1] - v[k])) / (o[k+1] - o[k]) in that order of
   operations; outside the first or last point the outliers rule decides:
   0 extrapolate the nearest segment, 1 missing (returns 0), 2 the nearest
   point's norm.  Returns 1 with *out set.  Exact as the formula rounds. */
NV_RT int nv_piecewise(double x, const double *pts, int n, int outliers, double *out)
{
    int k, lo, hi;
    if (x < pts[0]) {
        if (outliers == 1) return 0;
        if (outliers == 2) { *out = pts[1]; return 1; }
        k = 0;
    } else if (x != x) {
        k = n - 2;
        if (outliers == 1) return 0;
        if (outliers == 2) { *out = pts[2 * (n - 1) + 1]; return 1; }
    } else {
        /* the first k with x <= o[k+1] */
        lo = 0;
        hi = n - 1;
        while (lo < hi) {
            int mid = lo + (hi - lo) / 2;
            if (x <= pts[2 * (mid + 1)]) hi = mid; else lo = mid + 1;
        }
        k = lo;
        if (k > n - 2) {
            if (outliers == 1) return 0;
            if (outliers == 2) { *out = pts[2 * (n - 1) + 1]; return 1; }
            k = n - 2;
        }
    }
    *out = pts[2 * k + 1] + ((x - pts[2 * k]) * (pts[2 * k + 3] - pts[2 * k + 1])) / (pts[2 * k + 2] - pts[2 * k]);
    return 1;
}

/*@ section kernel_linear needs prelude */
/* A long run of a linear formula's terms, coefficient times input field:
   the terms are data (n pairs of a field index into fields[] and its
   coefficient) and this adds them to acc one after the other, in their
   order, exactly as the formula's chain of additions would
   (acc + c0 * x0) + c1 * x1 ...  A field not present makes *missing 1 (the
   sum's value is then of no use).  The fields are doubles of the record. */
typedef struct nv_lterm {
    int field;
    double coef;
} nv_lterm;

NV_RT double nv_linear(const void *rec, const nerva_field *fields, const nv_lterm *t, int n, double acc,
                       int *missing)
{
    const char *r = (const char *)rec;
    int k;
    for (k = 0; k < n; k++) {
        const nerva_field *f = &fields[t[k].field];
        double x;
        if (r[f->state_offset] != NERVA_PRESENT) {
            *missing = 1;
            continue;
        }
        memcpy(&x, r + f->offset, sizeof x);
        acc = acc + t[k].coef * x;
    }
    return acc;
}

/*@ section kernel_svm needs prelude */
/* Support vector machine kernels on x[0..n), y[0..n) (PMML's
   LinearKernelType, PolynomialKernelType, RadialBasisKernelType,
   SigmoidKernelType; PFA's m.kernel): the dot product summed in order, and
   the kernels on it.  Each is the correctly rounded function of the
   rounded sum, which is within n/2 ulps of the condition number of the
   exact one. */
NV_RT double nv_dot(const double *x, const double *y, int64_t n)
{
    double s = 0;
    int64_t i;
    for (i = 0; i < n; i++)
        s += x[i] * y[i];
    return s;
}

/* exp(-gamma ||x - y||^2) */
NV_RT double nv_kernel_rbf(const double *x, const double *y, int64_t n, double gamma)
{
    double s = 0, d;
    int64_t i;
    for (i = 0; i < n; i++) {
        d = x[i] - y[i];
        s += d * d;
    }
    return exp(-gamma * s);
}

/* (gamma x.y + coef0)^degree */
NV_RT double nv_kernel_poly(const double *x, const double *y, int64_t n, double gamma, double coef0,
                            double degree)
{
    return pow(gamma * nv_dot(x, y, n) + coef0, degree);
}

/* tanh(gamma x.y + coef0) */
NV_RT double nv_kernel_sigmoid(const double *x, const double *y, int64_t n, double gamma, double coef0)
{
    return tanh(gamma * nv_dot(x, y, n) + coef0);
}

/*@ section kernel_metric needs prelude */
/* Distances and similarities: PMML's ComparisonMeasure and PFA's metric
   module build a distance from per-component comparisons c_i (absolute
   differences, Gaussian similarities, ...) as an aggregate:
   NV_EUCLID sqrt(sum c^2), NV_SQEUCLID sum c^2, NV_CHEBYSHEV max c,
   NV_CITYBLOCK sum c, NV_MINKOWSKI (sum c^p)^(1/p).  A caller adds each
   weighted component with nv_metric_add and finishes with nv_metric_end;
   the result is the correctly rounded function of the running sum.  A
   weighted term is (c^2) w, c^p w, c w: the order of JPMML's MeasureUtil
   (the power first, then the field weight); with w = 1, as PFA calls it,
   the order makes no difference. */
enum { NV_EUCLID, NV_SQEUCLID, NV_CHEBYSHEV, NV_CITYBLOCK, NV_MINKOWSKI };

NV_RT double nv_metric_add(int kind, double tally, double c, double w, double p)
{
    switch (kind) {
    case NV_EUCLID:
    case NV_SQEUCLID:
        return tally + c * c * w;
    case NV_CHEBYSHEV:
        return w * c > tally || c != c ? w * c : tally;   /* a NaN stays */
    case NV_CITYBLOCK:
        return tally + w * c;
    default:
        return tally + pow(c, p) * w;
    }
}

NV_RT double nv_metric_end(int kind, double tally, double p)
{
    switch (kind) {
    case NV_EUCLID:
        return sqrt(tally);
    case NV_MINKOWSKI:
        return pow(tally, 1 / p);
    default:
        return tally;
    }
}

/* The Gaussian similarity exp(-ln 2 (x - y)^2 / s^2) of two values */
NV_RT double nv_gauss_sim(double x, double y, double s)
{
    double d = x - y;
    return exp(-0.69314718055994530942 * d * d / (s * s));
}

/* Binary similarity from the counts of (x, y) pairs (0,0), (0,1), (1,0),
   (1,1) and the coefficients c and d of PMML's binarySimilarity (simple
   matching, Jaccard, Tanimoto are special cases):
   sum c_ij a_ij / sum d_ij a_ij, each array in the order 00, 01, 10, 11. */
NV_RT double nv_binary_similarity(const double *a, const double *c, const double *d)
{
    return (c[0] * a[0] + c[1] * a[1] + c[2] * a[2] + c[3] * a[3])
           / (d[0] * a[0] + d[1] * a[1] + d[2] * a[2] + d[3] * a[3]);
}

/*@ section kernel_activation needs kernel_link */
/* Activation functions of a network's neurons (PMML's NeuralLayer
   activationFunction), applied in place to v[0..n): the formulas of the
   reference evaluator (JPMML), so the same bits as it where the C library's
   functions and Java's agree.  Accuracy, of the function of the rounded
   input: threshold (1 when above the threshold, else 0), identity,
   reciprocal and square are exact or correctly rounded; logistic as
   nv_logistic; tanh, exponential, sine, cosine as the C library (glibc:
   under 1 ulp); Gauss, e^-(x^2), within 1 + 2 x^2 ulps (the rounding of x^2,
   amplified); Elliott, x / (1 + |x|), within 2 ulps; arctan, 2 atan(x) / pi,
   within 2 ulps; rectifier max(x, 0) (NaN stays NaN), or with a leakage
   x * leakage below 0 (exact or correctly rounded).  radialBasis is not an
   activation of one value (models.c: nv_rbf_unit). */
enum {
    NV_ACT_THRESHOLD, NV_ACT_LOGISTIC, NV_ACT_TANH, NV_ACT_IDENTITY, NV_ACT_EXPONENTIAL, NV_ACT_RECIPROCAL,
    NV_ACT_SQUARE, NV_ACT_GAUSS, NV_ACT_SINE, NV_ACT_COSINE, NV_ACT_ELLIOTT, NV_ACT_ARCTAN, NV_ACT_RECTIFIER,
    NV_ACT_RADIAL_BASIS
};

NV_RT void nv_activate(int act, double *v, int64_t n, double threshold, double leakage, int leaky)
{
    int64_t i;
    switch (act) {
    case NV_ACT_THRESHOLD:
        for (i = 0; i < n; i++)
            v[i] = v[i] > threshold ? 1.0 : 0.0;
        break;
    case NV_ACT_LOGISTIC:
        for (i = 0; i < n; i++)
            v[i] = nv_logistic(v[i]);
        break;
    case NV_ACT_TANH:
        for (i = 0; i < n; i++)
            v[i] = tanh(v[i]);
        break;
    case NV_ACT_EXPONENTIAL:
        for (i = 0; i < n; i++)
            v[i] = exp(v[i]);
        break;
    case NV_ACT_RECIPROCAL:
        for (i = 0; i < n; i++)
            v[i] = 1.0 / v[i];
        break;
    case NV_ACT_SQUARE:
        for (i = 0; i < n; i++)
            v[i] = v[i] * v[i];
        break;
    case NV_ACT_GAUSS:
        for (i = 0; i < n; i++)
            v[i] = exp(-(v[i] * v[i]));
        break;
    case NV_ACT_SINE:
        for (i = 0; i < n; i++)
            v[i] = sin(v[i]);
        break;
    case NV_ACT_COSINE:
        for (i = 0; i < n; i++)
            v[i] = cos(v[i]);
        break;
    case NV_ACT_ELLIOTT:
        for (i = 0; i < n; i++)
            v[i] = v[i] / (1.0 + fabs(v[i]));
        break;
    case NV_ACT_ARCTAN:
        for (i = 0; i < n; i++)
            v[i] = (2.0 * atan(v[i])) / 3.14159265358979323846;
        break;
    case NV_ACT_RECTIFIER:
        /* JPMML: Math.max(x, 0), or with a leakage x above 0 (Double.compare:
           NaN too) and x * leakage else */
        if (leaky)
            for (i = 0; i < n; i++)
                v[i] = v[i] > 0 || v[i] != v[i] ? v[i] : v[i] * leakage;
        else
            for (i = 0; i < n; i++)
                v[i] = nv_relu(v[i]);
        break;
    default: /* identity */
        break;
    }
}

/*@ section kernel_agg needs kernel_median */
/* PMML's aggregate functions of an Apply (min, max, sum, avg, product,
   median: op 0 to 5) over the values v[i] whose miss[i] is 0: "missing
   values in the input to an aggregate function are simply ignored".
   Returns 0 when every value is missing (the result is missing), else 1
   with *out set.  Computed as JPMML's (commons-math) storeless statistics
   do, in argument order: min and max compare, the sum adds left to right,
   the product multiplies, the mean is updated m += (x - m) / k (so avg(1,
   2, 3) is 2 exactly, and a mean of large numbers does not overflow where
   the sum would); the median is nv_median's.  Exact as those formulas round.
   Sorts v in place for the median. */
NV_RT int nv_agg(int op, double *v, const unsigned char *miss, int n, double *out)
{
    int i, k = 0;
    double acc = 0;
    for (i = 0; i < n; i++) {
        double x = v[i];
        if (miss[i])
            continue;
        k++;
        switch (op) {
        case 0: if (k == 1 || x < acc || acc != acc) acc = x; break;
        case 1: if (k == 1 || x > acc || acc != acc) acc = x; break;
        case 2: acc = k == 1 ? x : acc + x; break;
        case 3: acc = k == 1 ? x : acc + (x - acc) / k; break;
        case 4: acc = k == 1 ? x : acc * x; break;
        default: v[k - 1] = x; break;
        }
    }
    if (k == 0)
        return 0;
    *out = op == 5 ? nv_median(v, NULL, k) : acc;
    return 1;
}

/*@ section kernel_normal2 needs kernel_normal */
/* The normal distribution of mean mu and standard deviation sigma, as
   JPMML computes it (commons-math NormalDistribution): PMML's normalCDF,
   normalPDF, normalIDF and stdNormalPDF.  sigma <= 0 (or NaN) gives NaN,
   an invalid result (JPMML refuses it). */

/* 0.5 erfc(-(x - mu) / (sigma sqrt 2)), and exactly 0 or 1 beyond 40
   sigmas from the mean.  As nv_stdnorm_cdf in z = (x - mu) / sigma: at most
   2 ulps for z >= -1, 1.5 (1 + z^2) ulps below, plus the rounding of the
   difference x - mu. */
NV_RT double nv_normal_cdf(double x, double mu, double sigma)
{
    double dev = x - mu;
    if (!(sigma > 0))
        return NAN;
    if (fabs(dev) > 40 * sigma)
        return dev < 0 ? 0.0 : 1.0;
    return 0.5 * erfc(-dev / (sigma * 1.4142135623730951));
}

/* exp(-z^2 / 2 - (ln sigma + ln(2 pi) / 2)), z = (x - mu) / sigma, summed
   in commons-math's order (log sigma + ln(2 pi) / 2 first, which
   nv_normal_logpdf does not: it subtracts the two apart).  Each term of
   the exponent carries its rounding, so the result is within
   2 (1 + z^2 + |ln sigma|) ulps (checked against mpmath over |z| <= 7,
   sigma from 0.01 to 300: tests/unit/test_pmml_rt.c; 1.7 times
   (1 + z^2 + |ln sigma|) the most measured). */
NV_RT double nv_normal_pdf(double x, double mu, double sigma)
{
    double z;
    if (!(sigma > 0))
        return NAN;
    z = (x - mu) / sigma;
    return exp(-0.5 * z * z - (log(sigma) + 0.91893853320467274178));
}

/* mu + sigma * nv_stdnorm_idf(p): within 3 ulps of the standard quantile,
   then one rounding each for the product and the sum.  0 and 1 give the
   infinities, p outside [0, 1] NaN. */
NV_RT double nv_normal_idf(double p, double mu, double sigma)
{
    if (!(sigma > 0))
        return NAN;
    return mu + sigma * nv_stdnorm_idf(p);
}
